"""Characters that could disguise text or forge a line of output, and their escaped form.

The one definition, used three ways: `validate` refuses them in values (io.py), file names show
them escaped (files.py), and every text output escapes them (render.py). Light: imports only re.
"""

from __future__ import annotations

import re

#: C0 controls except tab and newline, DEL, C1 controls, bidirectional overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str, also: str = "") -> str:
    """`text` with every unsafe character (and each of `also`, e.g. tab and newline) as \\xNN or
    \\uNNNN."""
    if UNSAFE.search(text) is None and not any(char in text for char in also):
        return text  # the common case, without building a new string (scan() asks for every file)
    text = UNSAFE.sub(lambda m: _escaped(m.group()), text)
    for char in also:
        text = text.replace(char, _escaped(char))
    return text
