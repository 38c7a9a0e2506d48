"""The YAML loader: YAML 1.2 meaning, refusals, locations."""

from __future__ import annotations

import math

import pytest

from sanctions.io import MAX_FILE_BYTES, parse_bytes, read_document, resolve_plain


@pytest.mark.parametrize("text, value", [
    ("NO", "NO"), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"), ("1:30", "1:30"),
    ("2022-03-11", "2022-03-11"), ("true", True), ("False", False), ("null", None), ("~", None),
    ("", None), ("42", 42), ("-7", -7), ("0o17", 15), ("0x1F", 31), ("1.5", 1.5), ("1e3", 1000.0),
    (".inf", math.inf), ("-.inf", -math.inf), ("0302", 302), ("0b101", "0b101"), ("1_000", "1_000"),
])
def test_plain_scalars_follow_yaml_1_2_core_schema(text, value):
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_nan_is_a_float():
    assert math.isnan(resolve_plain(".nan"))


def test_quoted_scalars_stay_strings_and_norway_is_not_false():
    doc = parse_bytes(b'a: "true"\nb: \'42\'\nc: NO\nd: |\n  text\n', "f.yaml")
    assert doc.problems == []
    assert doc.data == {"a": "true", "b": "42", "c": "NO", "d": "text\n"}


def test_every_field_has_its_line_and_column():
    doc = parse_bytes(b"id: x\nevents:\n  - kind: a\n    date: b\n  - kind: c\n", "f.yaml")
    assert doc.locations[("id",)] == (1, 1)
    assert doc.locations[("events",)] == (2, 1)
    assert doc.locations[("events", 1, "kind")] == (5, 5)
    assert doc.locate(("events", 0, "date")) == (4, 5)
    assert doc.locate(("events", 0, "missing")) == (3, 5)  # nearest existing parent


@pytest.mark.parametrize("raw, code, line, column, field", [
    (b"a: &x 1\nb: *x\n", "yaml-anchor", 1, 4, "a"),
    (b"a: 1\nb: *x\n", "yaml-alias", 2, 4, "b"),
    (b"a: 1\na: 2\n", "yaml-duplicate-key", 2, 1, "a"),
    (b"<<: {a: 1}\n", "yaml-merge-key", 1, 1, ""),
    (b"a: !!str 1\n", "yaml-tag", 1, 4, "a"),
    (b"a: !custom x\n", "yaml-tag", 1, 4, "a"),
    (b"a: 1\n---\nb: 2\n", "yaml-multiple-documents", 2, 1, ""),
    (b"? [a]\n: 1\n", "yaml-complex-key", 1, 3, ""),
    (b"a: [1,\n", "yaml-syntax", 2, 1, ""),
    (b"a: caf\xe9\n", "encoding", 1, 7, ""),
    (b"a:\n  b: \x07\n", "control-character", 2, 6, ""),
    (b"", "empty", 1, 1, ""),
    (b"# only a comment\n", "empty", 1, 1, ""),
    (b"a: " + b"[" * 40 + b"]" * 40 + b"\n", "yaml-too-deep", 1, 35, "a" + "[0]" * 31),
])
def test_dangerous_or_ambiguous_yaml_is_refused_with_its_location(raw, code, line, column, field):
    doc = parse_bytes(raw, "f.yaml")
    assert doc.data is None
    [problem] = doc.problems
    assert (problem.code, problem.line, problem.column, problem.field) == (code, line, column, field)


def test_oversized_files_are_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    [problem] = read_document(path).problems
    assert problem.code == "file-too-large"


def test_a_utf8_byte_order_mark_is_accepted():
    assert parse_bytes(b"\xef\xbb\xbfa: 1\n", "f.yaml").data == {"a": 1}


def test_what_a_yaml_writer_writes_loads_back_the_same():
    """Round trip: any measure document, written by PyYAML, reads back equal with YAML 1.2 meaning
    (a property over documents generated from the committed JSON Schema)."""
    import re

    from hypothesis import example, given

    from conftest import dump

    from test_schema import committed, from_schema

    # Characters the loader refuses by design (test_hostile), and lone surrogates, are replaced.
    unsafe = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff\r\x85\u2028\u2029]")

    def clean(value):
        if isinstance(value, str):
            return unsafe.sub("?", value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**29:
            return 1  # numbers this long are refused by design (test_hostile)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    tricky = {"schema_version": "1.0", "id": "x-1", "title": "1e5", "authority": "US",
              "targets": [{"code": "RU", "persons": "0o17"}], "type": "import_ban", "sectors": ["NO"],
              "events": [{"kind": "announced", "date": "2022-03-11", "citation": {"source": "0e00"}}],
              "notes": "0x1F"}  # strings YAML 1.1 writers leave plain but YAML 1.2 reads as numbers

    @given(from_schema(committed("measure")))
    @example(tricky)
    def check(doc):
        doc = clean(doc)
        loaded = parse_bytes(dump(doc).encode("utf-8"), "f.yaml")
        assert loaded.problems == [] and loaded.data == doc

    check()


def test_windows_line_ends_are_line_ends_but_a_lone_carriage_return_is_refused():
    assert parse_bytes(b"a: 1\r\nb: two\r\n", "f.yaml").data == {"a": 1, "b": "two"}
    [problem] = parse_bytes(b"a: 1\nb: t\rwo\n", "f.yaml").problems
    assert (problem.line, problem.column, problem.code) == (2, 5, "control-character")
