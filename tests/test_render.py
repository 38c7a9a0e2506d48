"""Rows out: the JSON of a list of rows is exactly what json.dumps(indent=2) writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sanctions.render import Format, plain, render, to_json

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dates(),
                   st.dictionaries(st.text(max_size=3), SCALARS, max_size=2))
ROWS = st.lists(st.dictionaries(st.text(max_size=8), VALUES, max_size=6), max_size=5)


def reference(value: object) -> str:
    return json.dumps(plain(value), indent=2, ensure_ascii=False, default=str).encode(
        "utf-8", "backslashreplace").decode("utf-8") + "\n"


@settings(max_examples=400, deadline=None)
@given(ROWS)
def test_rows_are_written_as_json_dumps_writes_them(rows: list) -> None:
    assert to_json(rows) == reference(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True).flatmap(
    lambda columns: st.tuples(st.just(columns), st.lists(
        st.lists(VALUES, min_size=len(columns), max_size=len(columns)), max_size=5))))
def test_rendered_rows_are_the_json_of_their_records(table: tuple) -> None:
    columns, rows = table
    expected = reference([dict(zip(columns, row)) for row in rows])
    assert render(columns, rows, Format.json) == expected
    assert to_json([dict(zip(columns, row)) for row in rows]) == expected


def test_the_shapes_the_fast_path_leaves_to_json_dumps() -> None:
    for value in ([], [{}], [[1]], [1, "a"], [{"a": [[1]]}], [{1: 2}], {"a": [1]}, "\ud800", [{"s": "\ud800"}]):
        assert to_json(value) == reference(value)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x3000)) | st.text(alphabet=st.characters(max_codepoint=0x7f)))
def test_a_text_is_as_wide_as_wcwidth_says_or_one_column_a_character_when_it_cannot(text: str) -> None:
    from wcwidth import wcswidth

    from sanctions.render import width_of

    width = wcswidth(text)
    assert width_of(text) == (width if width >= 0 else len(text))


def test_rows_of_another_width_than_the_columns_are_refused() -> None:
    import pytest

    for columns, rows in ((["a", "b"], [["x"]]), (["a"], [["x", "y"]]), (["a", "b"], [["x", "y"], ["z"]])):
        with pytest.raises(ValueError):
            render(columns, rows, Format.json)
