"""Files as they arrive: uploads and ``.zip`` archives, and which format they are.

An import takes native files (one per table), or a Salesforce export: the
object files, or the ``.zip`` that Setup > Data Export delivers. This module
turns what arrived into named files (archives unpacked), decides the format
when it is not given, and stages a Salesforce export as the folder its
reader takes, so an upload and the command line run the same reader.

Archives are read defensively: members are named by their file name alone
(no paths are written), folders, hidden files and ``__MACOSX`` entries are
left out, an encrypted member or one larger than the import limit is
refused by name, and two members with the same file name are a problem
(which one is the export?).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from ..problems import Problem, ProblemsError
from ..schema import TABLES
from .mapping import STANDARD_OBJECTS, SalesforceMapping

__all__ = ["Format", "detect_names", "expand_uploads", "native_name_problems", "stage_files", "unpack_zip"]

Format = Literal["native", "salesforce"]

#: What a native import reads, said once (not once per file).
NATIVE_NAMES = ", ".join(f"{t}.csv" for t in TABLES)
_NATIVE_SUFFIXES = (".csv", ".parquet")


def _too_large(max_bytes: int) -> str:
    return (
        f"larger than the import limit ({max_bytes / 2**20:,.0f} MiB; setting "
        "ENTITLEMENTS_IMPORT_MAX_FILE_MB)"
    )


def unpack_zip(name: str, data: bytes, *, max_bytes: int) -> list[tuple[str, bytes]]:
    """The files of a ``.zip`` archive as (file name, content), in archive order.

    Raises
    ------
    ProblemsError
        The archive cannot be read, a member is encrypted or over the limit,
        or two members share a file name; each problem names the archive and member.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProblemsError([Problem(file=name, message=f"not a readable .zip archive ({exc})")]) from exc
    files: list[tuple[str, bytes]] = []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    with archive:
        for info in archive.infolist():
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or not path.name or "__MACOSX" in path.parts or path.name.startswith("."):
                continue
            where = f"{name}/{info.filename}"
            if info.flag_bits & 0x1:
                problems.append(Problem(file=where, message="the member is encrypted; export it unencrypted"))
                continue
            if info.file_size > max_bytes:
                problems.append(Problem(file=where, message=_too_large(max_bytes)))
                continue
            if path.name.lower() in seen:
                problems.append(
                    Problem(
                        file=where, message=f"a second file named {path.name} ({seen[path.name.lower()]})"
                    )
                )
                continue
            seen[path.name.lower()] = info.filename
            try:
                with archive.open(info) as member:
                    content = member.read(max_bytes + 1)  # the header's size is not trusted
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                problems.append(Problem(file=where, message=f"cannot be unpacked ({exc})"))
                continue
            if len(content) > max_bytes:
                problems.append(Problem(file=where, message=_too_large(max_bytes)))
                continue
            files.append((path.name, content))
    if problems:
        raise ProblemsError(problems)
    if not files:
        raise ProblemsError([Problem(file=name, message="the archive holds no files")])
    return files


def expand_uploads(files: Sequence[tuple[str, bytes]], *, max_bytes: int) -> list[tuple[str, bytes]]:
    """Uploaded (name, content) pairs with every ``.zip`` replaced by its files.

    Raises
    ------
    ProblemsError
        An archive cannot be unpacked, or two files share a name.
    """
    out: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for name, data in files:
        base = PurePosixPath(name.replace("\\", "/")).name
        if base.lower().endswith(".zip"):
            try:
                out.extend(unpack_zip(base, data, max_bytes=max_bytes))
            except ProblemsError as exc:
                problems.extend(exc.problems)
        else:
            out.append((base, data))
    names = [n.lower() for n, _ in out]
    problems.extend(
        Problem(file=n, message="two files with this name were given; keep one")
        for i, (n, _) in enumerate(out)
        if names.index(n.lower()) != i and names.count(n.lower()) > 1
    )
    if problems:
        raise ProblemsError(problems)
    return out


def _salesforce_names(mapping: SalesforceMapping | None) -> set[str]:
    mapping = mapping or SalesforceMapping()
    names = {f"{obj.lower()}.csv" for obj in (*STANDARD_OBJECTS, *mapping.objects)}
    names |= {m.file.lower() for m in mapping.objects.values() if m.file}
    return names | {name.lower() for name in mapping.files.values()}


def detect_names(names: Iterable[str], mapping: SalesforceMapping | None = None) -> Format:
    """The format of a set of file names: ``native`` when some are named after native tables,
    ``salesforce`` when some are named after Salesforce objects and none after a native table.

    Raises
    ------
    ProblemsError
        No file is named after either; one problem says what each format expects.
    """
    names = [n.lower() for n in names]
    native = {Path(n).stem for n in names if Path(n).suffix in _NATIVE_SUFFIXES} & set(TABLES)
    if native:
        return "native"
    if set(names) & _salesforce_names(mapping):
        return "salesforce"
    raise ProblemsError(
        [
            Problem(
                message="no file is named after a native table or a Salesforce object: native files are "
                f"{NATIVE_NAMES} (or .parquet); a Salesforce export has Account.csv, Entitlement.csv, "
                "Case.csv ... (see docs/salesforce.md)"
            )
        ]
    )


def native_name_problems(names: Iterable[str]) -> list[Problem]:
    """One problem per file not named after a native table, and the accepted names once."""
    bad = []
    for n in names:
        if Path(n).suffix.lower() not in _NATIVE_SUFFIXES:
            bad.append(Problem(file=n, message="not a .csv or .parquet file"))
        elif Path(n).stem.strip().lower() not in TABLES:
            bad.append(Problem(file=n, message=f"no native table is named {Path(n).stem.strip().lower()!r}"))
    if bad:
        bad.append(Problem(message=f"native files are named after their table: {NATIVE_NAMES} (or .parquet)"))
    return bad


def stage_files(files: Sequence[tuple[str, bytes]], folder: Path) -> None:
    """Write (file name, content) pairs into ``folder`` by their file name alone."""
    for name, data in files:
        (folder / PurePosixPath(name).name).write_bytes(data)
