"""JSON written by DuckDB (json_rows, queries.Asked.json) is the text render writes for the same
rows, byte for byte, or no answer at all (render then writes it)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctions import json_rows
from sanctions.cache import connect
from sanctions.filters import FILTERS
from sanctions.queries import Asked, events, measures, select
from sanctions.render import Format, render

from conftest import GOOD



def asked_of(con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> Asked:
    return Asked(tuple((n, f'"{n}"') for n in names), f" FROM {table} ORDER BY k")


def both(con: duckdb.DuckDBPyConnection, asked: Asked) -> tuple[bytes | None, bytes]:
    columns, rows = asked.rows(con)
    return asked.json(con), render(columns, rows, Format.json).encode("utf-8")


def test_every_character_is_written_as_json_dumps_writes_it_or_left_to_render() -> None:
    con = duckdb.connect()
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chunks = ["".join(chars[i:i + 512]) for i in range(0, len(chars), 512)]
    con.execute("CREATE TABLE t (k INTEGER, s VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(chunks)))
    written, expected = both(con, asked_of(con, "t", ["s"]))
    assert written is None  # (the control characters' \u00XX escapes, in capitals from DuckDB)
    con.execute("DELETE FROM t WHERE k = 0")  # (the first 512 hold every character below U+0020)
    written, expected = both(con, asked_of(con, "t", ["s"]))
    assert written == expected
    con.execute("INSERT INTO t VALUES (-1, ?)", ['"\\\n\t\r\b\f quotes, backslashes and short escapes'])
    written, expected = both(con, asked_of(con, "t", ["s"]))
    assert written == expected


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
KINDS = {
    "VARCHAR": TEXT,
    "DATE": st.dates(),
    "BIGINT": st.integers(-2**63, 2**63 - 1),
    "INTEGER": st.integers(-2**31, 2**31 - 1),
    "SMALLINT": st.integers(-2**15, 2**15 - 1),
    "TINYINT": st.integers(-2**7, 2**7 - 1),
    "BOOLEAN": st.booleans(),
    "VARCHAR[]": st.lists(st.one_of(st.none(), TEXT), max_size=3),
    "DATE[]": st.lists(st.dates(), max_size=2),
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=5).flatmap(
    lambda kinds: st.tuples(st.just(kinds), st.lists(
        st.tuples(*[st.one_of(st.none(), KINDS[k]) for k in kinds]), max_size=6))))
def test_tables_of_every_kind_written_are_the_json_render_writes(table: tuple) -> None:
    kinds, rows = table
    names = [f"c{i} {kind}" for i, kind in enumerate(kinds)]  # (names with spaces and brackets)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER, " + ", ".join(f'"{n}" {k}' for n, k in zip(names, kinds)) + ")")
    if rows:
        con.executemany(f"INSERT INTO t VALUES (?{', ?' * len(kinds)})", [(i, *r) for i, r in enumerate(rows)])
    written, expected = both(con, asked_of(con, "t", names))
    has_control = any(isinstance(v, str) and any(c < " " for c in v)
                      for row in rows for value in row for v in (value if isinstance(value, list) else [value]))
    assert written == expected or (written is None and has_control)


@pytest.mark.parametrize("kind, value", [("DOUBLE", 0.1), ("INTEGER[][]", [[1]]),
                                          ("STRUCT(a INTEGER)", {"a": 1}), ("TIMESTAMP", dt.datetime(2022, 1, 1))])
def test_types_it_does_not_write_are_left_to_render(kind: str, value: object) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (k INTEGER, v {kind})")
    con.execute("INSERT INTO t VALUES (1, ?)", [value])
    assert both(con, asked_of(con, "t", ["v"]))[0] is None


def test_an_empty_answer_and_repeated_names() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER, v VARCHAR)")
    assert both(con, asked_of(con, "t", ["v"])) == (b"[]\n", b"[]\n")
    assert json_rows.select([("v", "v", "VARCHAR"), ("v", "k", "INTEGER")]) is None


def test_parameters_of_a_column_are_bound_once() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM range(3) r(k)")
    asked = Asked((("k", "k"), ("label", "? || k"), ("tags", "[?, k::VARCHAR]")), " FROM t WHERE k < ? ORDER BY k DESC",
                  ("n", "x", 2))
    assert both(con, asked)[0] == both(con, asked)[1]
    assert both(con, asked)[0].startswith(b'[\n  {\n    "k": 1,\n    "label": "n1",\n    "tags": [\n      "x"')


@pytest.mark.parametrize("args", [{}, {"sector": ["seafood"]}, {"hs": ["0302", "2204"]},
                                  {"authority": ["US"], "date_from": "2022-04-01"}, {"search": ["bank"]}])
def test_query_and_timeline_answers_are_what_render_writes_for_their_rows(args: dict) -> None:
    con = connect(GOOD)
    chosen = select(con, {**{f.key: None for f in FILTERS}, **args})
    for asked in (measures(chosen), events(chosen)):
        written, expected = both(con, asked)
        assert written == expected and written.count(b'\n  {\n    "') > (1 if args.get("hs") else 0)


def test_the_cli_prints_what_render_writes(cli) -> None:
    con = connect(GOOD)
    chosen = select(con, {**{f.key: None for f in FILTERS}, "hs": ["03"]})
    for command, asked in (("query", measures(chosen)), ("timeline", events(chosen))):
        result = cli(command, "--data", GOOD, "--hs", "03", "--format", "json")
        assert result.stdout == render(*asked.rows(con), Format.json)


def test_the_cli_writes_json_through_duckdb_and_through_render_where_it_cannot(cli, monkeypatch) -> None:
    expected = cli("query", "--data", GOOD, "--format", "json").stdout
    import sanctions.render

    def no_render(*args: object, **kwargs: object) -> str:
        raise AssertionError("render called")

    with monkeypatch.context() as patched:
        patched.setattr(sanctions.render, "render", no_render)
        assert cli("query", "--data", GOOD, "--format", "json").stdout == expected
    monkeypatch.setattr(json_rows, "text", lambda rows: None)  # (as for a control character)
    assert cli("query", "--data", GOOD, "--format", "json").stdout == expected
