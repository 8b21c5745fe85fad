"""Data shown inside Markdown: escaped, so it reads as the text it is and never as Markdown.

Account names, owners, plan names, the sign-in name and search words (a
shared link's ``?q=``) come from imports, sign-in forms and URLs. Rendered as
Markdown unescaped, ``![x](https://elsewhere/pixel.png)`` would make the
page load an image from another host, and ``[text](url)``, ``:red[...]`` or
``$...$`` would change what the page says. :func:`md` escapes every character
Markdown, Streamlit's directives or its math give a meaning to.
"""

from __future__ import annotations

import re

__all__ = ["md"]

#: ASCII punctuation with a meaning in CommonMark, GitHub Markdown, Streamlit directives
#: (``:red[...]``, ``:material/...:``) or math (``$``); each can be escaped with a backslash.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=^])")


def md(value: object) -> str:
    r"""``value`` as literal text for Markdown: special characters escaped, line breaks as spaces.

    >>> print(md("![x](https://evil.example/p.png)"))
    \!\[x\]\(https\://evil\.example/p\.png\)
    """
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text)
