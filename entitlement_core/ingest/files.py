"""Source files: which paths an import reads, and their text as UTF-8.

Only regular files are read (DOMAIN.md "Values the importer refuses"): a
pipe would block the import forever and a device (a link to ``/dev/zero``)
would fill the memory, so anything else is refused before it is opened,
and again on the open file, as is a link to nothing. A file larger than the
import limit (the ``ENTITLEMENTS_IMPORT_MAX_FILE_MB`` setting) is refused
too, without reading it.

Text is handed to the CSV reader as UTF-8. What a file holds is decided
once, here, from its bytes:

- a byte-order mark wins: UTF-8, UTF-16 (little or big endian) or UTF-32;
- otherwise valid UTF-8 is UTF-8;
- otherwise the file is Windows-1252, Data Loader's default on Windows
  ("Write all CSVs with UTF-8 encoding" is off by default); every byte
  means something there (the five bytes Windows-1252 leaves undefined are
  read as the control characters of the same number, as Windows does).

``encoding`` forces ``utf-8``, ``cp1252`` or ``latin-1`` (ISO 8859-1) when
there is no byte-order mark; forced UTF-8 that is not valid is refused
with the line of the first bad byte. Old Mac files end lines with a lone
carriage return: when a file has no line feed at all, each carriage return
is read as a line end, so no record is ever lost to one long line.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..problems import Problem, ProblemsError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "ENCODINGS",
    "Encoding",
    "Text",
    "decode",
    "folder_entries",
    "read_regular_file",
]

Encoding = Literal["utf-8", "cp1252", "latin-1"]
#: Encodings a user may force (``import --encoding``).
ENCODINGS: tuple[str, ...] = ("utf-8", "cp1252", "latin-1")
#: Bytes looked at to tell text from binary data.
_SAMPLE = 4096
#: Bytes decoded at a time.
_CHUNK = 16 * 1024 * 1024
#: The import limit when no setting says otherwise: 4 GiB.
DEFAULT_MAX_FILE_BYTES = 4096 * 1024 * 1024

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)


def _c1_controls(error: UnicodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are the C1
    controls of the same number, as Windows reads them."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


_CP1252_ERRORS = "entitlements-cp1252-c1"
codecs.register_error(_CP1252_ERRORS, _c1_controls)
_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
_KIND = {
    stat.S_IFIFO: "a pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


@dataclass(frozen=True)
class Text:
    """A file's content as UTF-8 bytes, and how it was read (for the import summary)."""

    data: bytes
    #: ``utf-8``, ``utf-16``, ``utf-32``, ``cp1252`` or ``latin-1``.
    encoding: str
    #: Why that encoding, when it was not the file's own UTF-8 ("not valid UTF-8", "--encoding").
    note: str = ""

    def describe(self) -> str:
        """``Windows-1252: not valid UTF-8``: what the import summary shows per file."""
        name = _NAMES.get(self.encoding, self.encoding)
        return f"{name}: {self.note}" if self.note else name


def _fail(source: str, message: str, line: int | None = None) -> ProblemsError:
    return ProblemsError([Problem(file=source, line=line, message=message)])


def _kind(mode: int) -> str:
    return _KIND.get(stat.S_IFMT(mode), "not a regular file")


def read_regular_file(path: Path, source: str, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` when it is a regular file (or a link to one) within ``max_bytes``.

    Raises
    ------
    ProblemsError
        The path does not exist, is a link to nothing, is not a regular file
        (a pipe, a device, a socket, a folder), or is larger than ``max_bytes``.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        dangling = os.path.islink(path)
        raise _fail(source, "a link to nothing (dangling link)" if dangling else "no such file") from None
    except OSError as exc:
        raise _fail(source, f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise _fail(source, f"not a regular file: {_kind(info.st_mode)}; only regular files are imported")
    _check_size(source, info.st_size, max_bytes)
    try:
        # Non-blocking, then checked again on the open file: the path may have changed since.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _fail(source, f"cannot read the file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _fail(source, f"not a regular file: {_kind(info.st_mode)}; only regular files are imported")
        data = handle.read(max_bytes + 1)
    _check_size(source, len(data), max_bytes)
    return data


def _check_size(source: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _fail(
            source,
            f"the file is larger than the import limit ({size / 2**20:,.0f} MiB > {max_bytes / 2**20:,.0f} "
            "MiB; setting ENTITLEMENTS_IMPORT_MAX_FILE_MB)",
        )


def folder_entries(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Every entry of ``folder`` whose name ends in one of ``suffixes`` (any letter case), sorted.

    Entries that are not regular files are listed too (not skipped), so the
    reader reports them: a pipe named ``cases.csv`` or a dangling link is a
    problem, never silently left out.
    """
    return sorted(p for p in folder.iterdir() if p.name.lower().endswith(suffixes))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _windows_1252(data: bytes) -> bytes:
    # One byte per character: decoded a chunk at a time, so a large file never lives as one str.
    view = memoryview(data)
    return b"".join(
        bytes(view[i : i + _CHUNK]).decode("cp1252", errors=_CP1252_ERRORS).encode("utf-8")
        for i in range(0, len(data), _CHUNK)
    )


def _utf8_error(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8 (None: all valid), checked a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for i in range(0, len(data), _CHUNK):
        try:
            decoder.decode(view[i : i + _CHUNK], final=i + _CHUNK >= len(data))
        except UnicodeDecodeError as err:
            return max(i + err.start - len(decoder.getstate()[0]), 0)
    return None


def decode(data: bytes, source: str, encoding: Encoding | None = None) -> Text:
    """A file's bytes as UTF-8 text (see the module notes for how the encoding is chosen).

    Raises
    ------
    ProblemsError
        Forced UTF-8 that is not valid UTF-8, or a byte-order mark over
        text that does not decode (with the line of the first bad byte).
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                text = body if codec == "utf-8" else body.decode(codec).encode("utf-8")
                if codec == "utf-8":
                    body.decode("utf-8")
            except UnicodeDecodeError as err:
                line = _line_of(body, err.start) if codec == "utf-8" else None
                message = f"the file starts with a {name} byte-order mark but is not {name}"
                raise _fail(source, message, line) from None
            return _line_ends(Text(text, name.lower()))
    sample = data[:_SAMPLE]
    if sample.count(0) * 10 >= len(sample) > 0:
        # Text has no NUL characters; a tenth of them is binary data or UTF-16 without its mark.
        raise _fail(
            source, "not a text file: binary data, or UTF-16 without a byte-order mark (save it as UTF-8 CSV)"
        )
    if encoding == "cp1252":
        return _line_ends(Text(_windows_1252(data), "cp1252", "--encoding"))
    if encoding == "latin-1":
        return _line_ends(Text(data.decode("latin-1").encode("utf-8"), "latin-1", "--encoding"))
    bad = None if data.isascii() else _utf8_error(data)
    if bad is None:
        return _line_ends(Text(data, "utf-8"))
    if encoding == "utf-8":
        raise _fail(source, "not UTF-8 text (--encoding utf-8): save the file as UTF-8", _line_of(data, bad))
    return _line_ends(Text(_windows_1252(data), "cp1252", "not valid UTF-8"))


def _line_ends(text: Text) -> Text:
    """Lone carriage returns as line ends, when the file has no line feed at all (old Mac files)."""
    data = text.data
    if b"\n" in data or b"\r" not in data.rstrip(b"\r"):
        return text
    note = "; ".join(n for n in (text.note, "carriage-return line ends") if n)
    return Text(data.replace(b"\r", b"\n"), text.encoding, note)
