"""Rows as JSON written by DuckDB in the query itself: the text `render` gives for the same rows
in `Format.json`, byte for byte, without each row becoming Python objects and then text. (At
100,000 measures, `query --sector seafood --format json` spent 0.18 s of its 0.36 s there, for
13,000 rows; DuckDB writes them in 0.05 s.)

It is exact where it answers. json.dumps(ensure_ascii=False) escapes '"', '\\' and the
characters below U+0020, and nothing else; DuckDB's to_json escapes the same characters the same
way, except that it writes the hex digits of a \\u00XX escape in capitals. So an answer holding
a \\u00 escape is left to `render` (the records' text has no control characters: in practice
never). Types other than text, dates, integers, booleans and lists of them are left to it too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

#: DuckDB types whose to_json text is the json.dumps text of the Python value DuckDB gives.
SCALARS = frozenset(("VARCHAR", "DATE", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT"))
# json.dumps(indent=2) of a list of rows: a field, the items of a list in a field, a list's end.
_FIELD, _ITEM, _END = "\n    ", "\n      ", "\n    ]"
_EMPTY = "^\\[" + _ITEM + _END[:-1] + "\\]$"  # how an empty list comes out below


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(expression: str, kind: str) -> str | None:
    """SQL for one value as json.dumps(indent=2) writes it inside a row; None for other types."""
    if kind in SCALARS:
        return f"coalesce(to_json({expression})::VARCHAR, 'null')"
    if kind.endswith("[]") and kind[:-2] in SCALARS:
        items = (f"array_to_string(list_transform({expression}, lambda x: "
                 f"coalesce(to_json(x)::VARCHAR, 'null')), {_sql_text(',' + _ITEM)})")
        written = f"coalesce({_sql_text('[' + _ITEM)} || {items} || {_sql_text(_END)}, 'null')"
        # (no item is written empty, '""' at least: only an empty list matches _EMPTY)
        return f"regexp_replace({written}, {_sql_text(_EMPTY)}, '[]')"
    return None


def select(columns: Sequence[tuple[str, str, str]]) -> str | None:
    """The select list of one column of bytes: each row's JSON object, in UTF-8, as `render`
    indents it inside the list; columns are (name, SQL expression, DuckDB type). None when a type
    is not one it writes exactly. Each expression appears once: its parameters are bound once."""
    if not columns or len({name for name, _, _ in columns}) != len(columns):
        return None  # (render's shapes: nothing, or keys written once)
    parts = []
    for i, (name, expression, kind) in enumerate(columns):
        value = _value(expression, kind)
        if value is None:
            return None
        key = ("  {" if i == 0 else ",") + _FIELD + json.encoder.encode_basestring(name) + ": "
        parts += [_sql_text(key), value]
    return f"encode(concat({', '.join(parts)}, {_sql_text(chr(10) + '  }')}))"


def text(rows: Sequence[bytes]) -> bytes | None:
    """The whole answer, in UTF-8, from the rows `select` wrote (fetched as bytes: the 9 MB are
    neither decoded nor encoded again); None when it holds a \\u00 escape."""
    if not rows:
        return b"[]\n"
    out = b"[\n" + b",\n".join(rows) + b"\n]\n"
    return None if b"\\u00" in out else out
