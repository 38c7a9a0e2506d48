"""Rows out: text tables sized to the terminal, JSON, CSV or NDJSON; and text safe for terminals.

Widths are display widths (wcwidth), so Japanese titles line up. Every text output goes through
`safe()`: control characters and bidirectional overrides are shown escaped, never sent raw.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Sequence
from enum import StrEnum
from itertools import chain
from typing import Any

from .text import escape


class Format(StrEnum):
    """Every output format; each command accepts the subset that suits it."""

    table = "table"
    text = "text"
    json = "json"
    csv = "csv"
    ndjson = "ndjson"
    yaml = "yaml"


ROWS = (Format.table, Format.json, Format.csv, Format.ndjson)  # formats for lists of rows
REPORT = (Format.text, Format.json)                             # formats for one report

def safe(text: str, keep_newlines: bool = False) -> str:
    """Text fit for a terminal or a log: unsafe characters escaped (text.escape), newlines shown
    as \\n unless kept, tabs as spaces."""
    text = escape(text)
    if not keep_newlines:
        text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text.replace("\t", " ")


_AS_IS = frozenset((str, int, float, bool, type(None)))


def plain(value: Any) -> Any:
    """A JSON-ready value."""
    if type(value) in _AS_IS:  # (most values: one test, not four)
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    """A value as text, for tables and CSV: lists joined with ';', nothing for NULL."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def records(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def to_json(value: Any) -> str:
    """JSON that is always valid UTF-8: lone surrogates (from undecodable input) are escaped."""
    value = plain(value)
    text = None
    if isinstance(value, list) and value and all(type(r) is dict for r in value):
        keys = list(value[0])
        if all(list(r) == keys for r in value):
            text = _table_json(keys, [list(r.values()) for r in value])
    if text is None:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return _utf8(text) + "\n"


def _utf8(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


_SCALAR = (str, int, float, type(None))  # (bool is an int)
_encode_other = json.JSONEncoder(ensure_ascii=False).encode
_encode_str = json.encoder.encode_basestring  # the C function behind _encode_other for strings


def _encode(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)  # (as json.dumps writes an int)
    return "null" if value is None else _encode_other(value)


_DATE, _NONE = dt.date, type(None)


def _encode_list(items: list, encode: Any) -> str:
    """A list of scalars as json.dumps(indent=2) writes it inside a row."""
    return "[\n      " + ",\n      ".join(map(encode, items)) + "\n    ]" if items else "[]"


def _encode_column(values: Sequence[Any]) -> list[str] | None:
    """Each value as json.dumps(plain(value), indent=2) writes it inside a row; None for a nested
    shape. Columns of one or two kinds (text, dates, lists of text, with NULLs) take one pass in
    C or a comprehension; the rest, a call per value."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(_encode_str, values))  # the common case, in C
    if kinds <= {str, _NONE}:
        return [_encode_str(v) if v is not None else "null" for v in values]
    if kinds <= {_DATE, _NONE}:
        return ['"' + v.isoformat() + '"' if v is not None else "null" for v in values]
    if kinds == {list} and set(map(type, chain.from_iterable(values))) <= {str}:
        return [_encode_list(v, _encode_str) for v in values]
    out = []
    for value in map(plain, values):
        if isinstance(value, _SCALAR):
            out.append(_encode(value))
        elif type(value) is list and all(isinstance(v, _SCALAR) for v in value):
            out.append(_encode_list(value, _encode))
        else:
            return None
    return out


def _table_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str | None:
    """Exactly json.dumps(rows as objects, indent=2, ensure_ascii=False) for plain rows whose values
    are scalars or lists of scalars, encoded a column at a time through the C encoder: with
    indent, json.dumps runs in Python, and a query of thousands of rows spent most of its time
    there. None for any other shape (json.dumps then writes it)."""
    if not rows:
        return "[]"
    if not columns or len(set(columns)) != len(columns) or not all(type(c) is str for c in columns):
        return None
    values_of = list(zip(*rows, strict=True))
    if len(values_of) != len(columns):
        return None  # (json.dumps's path refuses it)
    encoded = []
    for name, values in zip(columns, values_of):
        column = _encode_column(values)
        if column is None:
            return None
        encoded.append(list(map(f"    {_encode_str(name)}: ".__add__, column)))
    return "[\n  {\n" + "\n  },\n  {\n".join(map(",\n".join, zip(*encoded))) + "\n  }\n]"


def _json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")


def terminal_width() -> int:
    """The terminal's width (COLUMNS wins, as everywhere); 80 when output is not a terminal."""
    return shutil.get_terminal_size((80, 24)).columns


def width_of(text: str) -> int:
    if text.isascii() and text.isprintable():  # one column each (most cells; wcswidth is 20x slower)
        return len(text)
    from wcwidth import wcswidth  # (only tables need it: not imported on every command's start)

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def cut(text: str, width: int) -> str:
    """`text` cut to `width` display columns, ending in '…' when anything was dropped."""
    if width_of(text) <= width:
        return text
    from wcwidth import wcwidth

    out, used = [], 0
    for char in text:
        w = max(wcwidth(char), 0)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` display columns, broken at spaces where possible."""
    lines: list[str] = []
    line, used = "", 0
    for word in re.split(r"(\s+)", text):
        w = width_of(word)
        if used + w <= width:
            line, used = line + word, used + w
            continue
        if line.strip():
            lines.append(line.rstrip())
        word = word.lstrip()
        while width_of(word) > width:  # a word longer than the column: break it
            head = cut(word, width + 1)[:-1]
            lines.append(head)
            word = word[len(head):]
        line, used = word, width_of(word)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def pad(text: str, width: int) -> str:
    return text + " " * (width - width_of(text))


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int | None = None,
          whole: Sequence[str] = (), wrap_cells: bool = False,
          headers: dict[str, str] | None = None) -> str:
    """Aligned columns that fit `width` display columns (None: as wide as the content).

    Columns named in `whole` (IDs, dates, codes) are never cut. The others shrink, the widest
    first, down to their header's width; their text is cut with '…' or, with `wrap_cells`, wrapped
    onto further lines. A table whose whole columns alone exceed `width` is wider than asked.
    """
    heads = [(headers or {}).get(c, c.upper().replace("_", " ")) for c in columns]
    texts = [[safe(cell(v)) for v in row] for row in rows]
    widths = [max([width_of(h)] + [width_of(r[i]) for r in texts]) for i, h in enumerate(heads)]
    if width is not None:
        budget = width - 2 * (len(columns) - 1)
        floors = [widths[i] if c in whole else min(widths[i], max(width_of(heads[i]), 8))
                  for i, c in enumerate(columns)]
        while sum(widths) > budget:
            shrinkable = [i for i in range(len(widths)) if widths[i] > floors[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1
    lines = ["  ".join(pad(cut(h, w), w) for h, w in zip(heads, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in texts:
        if not wrap_cells:
            lines.append("  ".join(pad(cut(t, w), w) for t, w in zip(row, widths, strict=True)).rstrip())
            continue
        parts = [wrap(t, w) for t, w in zip(row, widths, strict=True)]
        for k in range(max(len(p) for p in parts)):
            lines.append("  ".join(pad(p[k] if k < len(p) else "", w)
                                   for p, w in zip(parts, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format, *,
           table_columns: Sequence[str] | None = None, wide: bool = False, wrap_cells: bool = False,
           whole: Sequence[str] = (), headers: dict[str, str] | None = None) -> str:
    """Rows in one of the row formats. Tables show `table_columns` (default: all)."""
    if fmt is Format.json:
        text = _table_json(columns, rows)
        return _utf8(text) + "\n" if text is not None else to_json(records(columns, rows))
    if fmt is Format.ndjson:
        return "".join(_json_line(r) + "\n" for r in records(columns, rows))
    if fmt is Format.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(v) for v in row] for row in rows)
        return out.getvalue().encode("utf-8", "backslashreplace").decode("utf-8")
    if table_columns:
        index = [list(columns).index(c) for c in table_columns]
        columns, rows = list(table_columns), [[row[i] for i in index] for row in rows]
    return table(columns, rows, width=None if wide else terminal_width(), whole=whole,
                 wrap_cells=wrap_cells, headers=headers)
