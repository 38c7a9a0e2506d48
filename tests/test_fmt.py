"""`sanctions fmt`: one canonical layout that keeps comments, never changes data and never writes
a file it cannot prove unchanged (sanctions/fmt.py has the rules)."""

from __future__ import annotations

import re
import stat

import pytest
import yaml
from hypothesis import assume, example, given
from hypothesis import strategies as st

from conftest import REPO, dump
from sanctions import fmt, models
from sanctions.files import scan
from sanctions.io import parse_bytes

DATA = REPO / "data"
SHIPPED, _ = scan(DATA)


def typed(value):
    """A parsed document where types count (1, 1.0 and true differ); key order does not."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, value


def read(text: str):
    doc = parse_bytes(text.encode("utf-8"), "f.yaml")
    assert doc.problems == []
    return doc.data


def formatted(text: str, kind: str = "measures") -> str:
    return fmt.format_bytes(text.encode("utf-8"), "f.yaml", fmt.model_for(kind))


def assert_tidy(text: str) -> None:
    assert text.endswith("\n") and not text.endswith("\n\n") and not text.startswith("\n")
    assert not [line for line in text.split("\n") if line != line.rstrip()], "trailing blanks"


# --- the shipped data ---------------------------------------------------------------------------


@pytest.mark.parametrize("data_file", SHIPPED, ids=lambda f: f.rel)
def test_every_shipped_file_formats_to_the_same_data_and_comments_idempotently(data_file):
    raw = data_file.path.read_bytes()
    new = fmt.format_bytes(raw, data_file.rel, fmt.model_for(data_file.kind))
    assert typed(read(new)) == typed(read(raw.decode("utf-8")))
    assert fmt.comment_texts(new) == fmt.comment_texts(raw.decode("utf-8"))
    assert new.startswith("# yaml-language-server: $schema=")
    assert formatted(new, data_file.kind) == new
    assert_tidy(new)


def test_the_shipped_data_is_formatted(cli):
    result = cli("fmt", "--check")
    assert (result.exit_code, result.stdout) == (0, ""), result.stdout
    assert result.stderr == f"0 files would be reformatted, {len(SHIPPED)} unchanged\n"


# --- comments, order, quoting, wrapping ---------------------------------------------------------

COMMENTED = """\
# yaml-language-server: $schema=../../schemas/measure.schema.json
# a second header line

id: x-1   # the id
schema_version: "1.0"
title: "A title"  # inline on title
# before summary
summary: >-  # on the header
  Some short text.
authority: US
targets:  # the targets
  # before the first target
  - code: RU  # russia
    persons: x
  -   # on a dash
    code: BY
  - {code: "NO"}  # a flow item
type: import_ban
sectors: [seafood,  # inside a flow list
  # own line inside a flow list
  alcoholic_beverages]
events:
  - kind: announced
    citation:
      # before source
      source: s-1
      locator: "p. 1"
    date: 2022-03-11
    # between keys of an event
    note:
      # inside a scalar value
      "a note"
  # after the last key of an event
  - kind: in_force
    date: 2022-03-12
    citation: {source: s-1}
unknown_b: 1
unknown_a: yes
# trailing 1

# trailing 2
"""

COMMENTED_FORMATTED = """\
# yaml-language-server: $schema=../../schemas/measure.schema.json
# a second header line
schema_version: "1.0"
id: x-1  # the id
title: A title  # inline on title
# before summary
summary: Some short text.  # on the header
authority: US
targets:  # the targets
  # before the first target
  - code: RU  # russia
    persons: x
  - code: BY  # on a dash
  - {code: "NO"}  # a flow item
type: import_ban
# own line inside a flow list
sectors: [seafood, alcoholic_beverages]  # inside a flow list
events:
  - kind: announced
    date: 2022-03-11
    # between keys of an event
    # inside a scalar value
    note: a note
    citation:
      # before source
      source: s-1
      locator: p. 1
  # after the last key of an event
  - kind: in_force
    date: 2022-03-12
    citation: {source: s-1}
unknown_b: 1
unknown_a: "yes"
# trailing 1
# trailing 2
"""


def test_comments_stay_with_their_fields_and_keys_follow_the_model():
    out = formatted(COMMENTED)
    assert out == COMMENTED_FORMATTED
    assert typed(read(out)) == typed(read(COMMENTED))
    assert formatted(out) == out


def test_comments_that_close_a_nested_block_stay_at_its_end():
    text = ("events:\n  - kind: announced\n    date: 2022-03-11\n    # end of the first event\n"
            "  - citation:\n      source: s-1\n      # end of the citation\n    kind: in_force\n"
            "  # end of the events, indented as they are\nnotes: n\n")
    out = formatted(text)
    assert out == ("events:\n  - kind: announced\n    date: 2022-03-11\n    # end of the first event\n"
                   "  - kind: in_force\n    citation:\n      source: s-1\n      # end of the citation\n"
                   "  # end of the events, indented as they are\nnotes: \"n\"\n")
    assert formatted(out) == out


def test_every_comment_survives_exactly_once():
    out = formatted(COMMENTED)
    for comment in re.findall(r"#[^\n]*", COMMENTED):
        assert out.count(comment.rstrip()) == 1, comment


def out_of_order(data, model):
    """Keys out of the model's order, anywhere in `data` (read from model_fields directly)."""
    wrong = []
    if isinstance(data, dict) and model is not None:
        names = list(model.model_fields)
        known = [k for k in data if k in names]
        if known != sorted(known, key=names.index) or list(data)[:len(known)] != known:
            wrong.append(list(data))
        for key, value in data.items():
            nested = fmt.fields_of(model)[key].model if key in names else None
            for item in value if isinstance(value, list) else [value]:
                wrong += out_of_order(item, nested)
    return wrong


def test_keys_take_the_models_order_and_unknown_keys_follow_as_written():
    text = ("zeta: 1\nevents:\n  - citation: {locator: p, source: s}\n    date: 2022-01-01\n"
            "    kind: announced\ntitle: t\nalpha: 2\nid: x\nschema_version: '1.0'\n")
    out = formatted(text)
    assert list(read(out)) == ["schema_version", "id", "title", "events", "zeta", "alpha"]
    assert "  - kind: announced\n    date: 2022-01-01\n    citation: {source: s, locator: p}\n" in out
    assert out_of_order(read(out), models.Measure) == []


@pytest.mark.parametrize("field, value, written", [
    ("title", "US", "US"),
    ("authority", "NO", '"NO"'),             # Norway; false to a YAML 1.1 reader
    ("title", "yes", '"yes"'),
    ("title", "on", '"on"'),
    ("title", "y", '"y"'),
    ("title", "0302", '"0302"'),             # an HS code, not a number
    ("title", "1.0", '"1.0"'),
    ("title", "1:30", '"1:30"'),             # sexagesimal to YAML 1.1
    ("title", "null", '"null"'),
    ("title", "2022-03-11", '"2022-03-11"'),  # a date-like text stays text for every reader
    ("title", "a: b", '"a: b"'),
    ("title", "a #b", '"a #b"'),
    ("title", "- x", '"- x"'),
    ("title", "see https://x.org/a#b", "see https://x.org/a#b"),
    ("title", 'the "two paths"', 'the "two paths"'),
    ("title", '"quoted" first', "'\"quoted\" first'"),
    ("title", "zero\u200bwidth", '"zero\\u200bwidth"'),
    ("title", "tab\there", '"tab\\there"'),
    ("title", "ロシア　輸入", "ロシア　輸入"),
])
def test_strings_are_plain_unless_a_reader_would_take_them_for_something_else(field, value, written):
    out = formatted(yaml.safe_dump({field: value}, allow_unicode=True))
    assert out == f"{field}: {written}\n"
    assert read(out) == {field: value}


def test_dates_stay_plain_dates_and_numbers_keep_their_digits():
    out = formatted("events:\n- kind: announced\n  date: 2022-03-11\n"
                    "thresholds:\n- amount: 300.00\n  currency: EUR\n")
    assert "    date: 2022-03-11\n" in out and "  - amount: 300.00\n" in out


LONG = ("The announcement date and the date of effect are from the Summary of Alterations of Customs "
        "Tariff Proposal (No. 3) 2022; the Notices of Intention themselves were not read, and the "
        "publication of No. 3 on 1 April 2022 rests on a law firm's note.")


def test_long_free_text_is_folded_at_the_width_and_short_text_stays_on_its_line():
    out = formatted(f'notes: "{LONG}"\ntitle: "{LONG}"\nsummary: >-\n  Short\n  text.\n')
    # titles, quotes, locators: one line whatever their length, searchable as written
    assert out.startswith(f"title: {LONG}\nsummary: Short text.\nnotes: >-\n  The announcement")
    notes = out.split("notes: >-\n")[1].splitlines()
    assert len(notes) == 3 and all(len(line) <= fmt.WIDTH for line in notes)
    assert max(len(line) for line in notes) > fmt.WIDTH - 15  # filled, not merely short
    assert read(out)["notes"] == LONG


def test_line_breaks_in_free_text_fold_as_empty_lines():
    out = formatted('notes: "First paragraph.\\nSecond one.\\n\\n\\nThird."\n')
    assert out == "notes: >-\n  First paragraph.\n\n  Second one.\n\n\n\n  Third.\n"
    assert read(out)["notes"] == "First paragraph.\nSecond one.\n\n\nThird."


def test_byte_order_mark_windows_line_ends_and_document_marker_are_dropped():
    out = formatted("\ufeff# yaml-language-server: $schema=x\r\n---\r\nid: x\r\n")
    assert out == "# yaml-language-server: $schema=x\nid: x\n"


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, where, message", [
    ("id: [x\n", "2:1", "invalid YAML"),
    ("id: &a x\nalso: *a\n", "1:5", "anchors (&a) are not allowed"),
    ("id: x\nid: y\n", "2:1", "duplicate key 'id'"),
    ("%YAML 1.2\n---\nid: x\n", "1:1", "a %YAML or %TAG directive"),
])
def test_files_that_do_not_read_cleanly_are_refused_with_their_location(text, where, message):
    with pytest.raises(fmt.Refused) as refused:
        formatted(text)
    assert str(refused.value).startswith(f"f.yaml:{where}: {message}")


MESSY = """\
# yaml-language-server: $schema=../../schemas/measure.schema.json
id: x-1
schema_version: "1.0"
title: "A title"
authority: US
targets:
- code: RU  # the target
type: import_ban
sectors: [seafood]
events:
- kind: announced
  citation: {source: s-1}
  date: 2022-03-11
"""

CANONICAL = """\
# yaml-language-server: $schema=../../schemas/source.schema.json
schema_version: "1.0"
id: s-1
kind: news
title: A source
publisher: A paper
accessed: 2022-03-12
url: https://example.org/a
"""


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "data"
    (root / "measures").mkdir(parents=True)
    (root / "sources").mkdir()
    messy, clean = root / "measures" / "x-1.yaml", root / "sources" / "s-1.yaml"
    messy.write_text(MESSY)
    clean.write_text(CANONICAL)
    for path in (messy, clean):
        path.chmod(0o644)
    return root, messy, clean


def leftovers(root):
    return [p for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_check_lists_what_would_change_and_writes_nothing(cli, dataset):
    root, messy, clean = dataset
    result = cli("fmt", "--check", "--data", root)
    assert result.exit_code == 1
    assert result.stdout == f"would reformat {messy}\n"
    assert result.stderr == "1 file would be reformatted, 1 unchanged\n"
    assert messy.read_text() == MESSY and clean.read_text() == CANONICAL


def test_fmt_rewrites_only_what_changes_then_check_passes(cli, dataset):
    root, messy, clean = dataset
    before = clean.stat().st_mtime_ns
    result = cli("fmt", "--data", root)
    assert (result.exit_code, result.stdout) == (0, f"reformatted {messy}\n")
    assert result.stderr == "1 file reformatted, 1 unchanged\n"
    assert messy.read_text() == formatted(MESSY)
    assert "- code: RU  # the target\n" in messy.read_text()
    assert typed(read(messy.read_text())) == typed(read(MESSY))
    assert clean.stat().st_mtime_ns == before  # an unchanged file is not even rewritten
    assert stat.S_IMODE(messy.stat().st_mode) == 0o644
    assert leftovers(root) == []
    again = cli("fmt", "--check", "--data", root)
    assert (again.exit_code, again.stdout) == (0, "")
    assert again.stderr == "0 files would be reformatted, 2 unchanged\n"


def test_named_files_only(cli, dataset):
    root, messy, clean = dataset
    assert cli("fmt", "--check", clean).exit_code == 0
    result = cli("fmt", "--check", clean, messy)
    assert (result.exit_code, result.stdout) == (1, f"would reformat {messy}\n")


@pytest.mark.parametrize("name", ["README.md", "data", "data/measures/no-such-record.yaml",
                                  "tests/conftest.py"])
def test_a_path_that_is_not_a_dataset_file_is_a_usage_error(cli, name):
    result = cli("fmt", "--check", name)
    assert result.exit_code == 2
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_a_file_that_does_not_parse_is_refused_and_left_as_it_is(cli, dataset):
    root, messy, _ = dataset
    broken = root / "measures" / "broken.yaml"
    broken.write_text("id: [unclosed\ntitle: x\n")
    result = cli("fmt", "--data", root)
    assert result.exit_code == 1
    assert result.stdout == f"reformatted {messy}\n"  # the others are still formatted
    error, summary = result.stderr.splitlines()
    assert re.fullmatch(re.escape(str(broken)) + r":\d+:\d+: invalid YAML: .+", error)
    assert summary == "1 file reformatted, 1 unchanged, 1 not formatted (see above)"
    assert broken.read_text() == "id: [unclosed\ntitle: x\n"


def test_a_layout_that_would_change_the_data_is_refused(cli, dataset, monkeypatch):
    root, messy, _ = dataset
    layout = fmt.layout
    monkeypatch.setattr(fmt, "layout", lambda tree: layout(tree).replace("code: RU", "code: BY"))
    result = cli("fmt", "--data", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{messy}:7:3: formatting would change targets[0].code; the file is left as it is "
        "(a bug in fmt: please report it)")
    assert messy.read_text() == MESSY


def test_a_layout_that_would_lose_a_comment_is_refused(cli, dataset, monkeypatch):
    root, messy, _ = dataset
    layout = fmt.layout
    monkeypatch.setattr(fmt, "layout", lambda tree: layout(tree).replace("  # the target", ""))
    result = cli("fmt", "--data", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{messy}:7:1: formatting would lose or alter the comment '# the target'; the file is left "
        "as it is (a bug in fmt: please report it)")
    assert messy.read_text() == MESSY


def test_a_file_edited_while_being_formatted_is_left_alone(cli, dataset, monkeypatch):
    root, messy, _ = dataset
    real = fmt.read_regular
    calls = []

    def edited_meanwhile(path):
        calls.append(path)
        if len(calls) == 2:
            path.write_text(MESSY + "notes: added in an editor\n")
        return real(path)

    monkeypatch.setattr(fmt, "read_regular", edited_meanwhile)
    result = cli("fmt", messy)
    assert result.exit_code == 1
    assert "changed while it was being formatted" in result.stderr
    assert messy.read_text() == MESSY + "notes: added in an editor\n"


def test_a_failed_write_leaves_the_file_whole_and_no_temporary_file(cli, dataset, monkeypatch):
    root, messy, _ = dataset

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sanctions.files.os.replace", full_disk)
    result = cli("fmt", "--data", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{messy}:1:1: cannot write: No space left on device"
    assert messy.read_text() == MESSY
    assert leftovers(root) == []


# --- generated records --------------------------------------------------------------------------

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff\r\x85"
                     "\u2028\u2029]")


def clean(value):
    """What the reader refuses by design (test_hostile) left out of generated values."""
    if isinstance(value, str):
        return _UNSAFE.sub("?", value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**29:
        return 1
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    return value


def shuffled(value, random):
    if isinstance(value, dict):
        keys = list(value)
        random.shuffle(keys)
        return {k: shuffled(value[k], random) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, random) for v in value]
    return value


def with_comments(text: str, picks: list[tuple[int, bool, int]]) -> tuple[str, list[str]]:
    """Comments added at the picked lines (above them, as deep as them or deeper, or at their end),
    each kept only if the file still reads as the same data."""
    data = typed(read(text))
    lines = text.split("\n")[:-1]
    added = []
    for number, (at, above, deeper) in enumerate(picks):
        if not lines:
            break
        at %= len(lines)
        comment = f"# comment {number}"
        line = lines[at]
        trial = list(lines)
        if not above and "#" in line:
            continue  # a second comment on a line would be part of the first
        if above:
            trial.insert(at, " " * (len(line) - len(line.lstrip(" ")) + deeper) + comment)
        else:
            trial[at] = line + "  " + comment
        doc = parse_bytes(("\n".join(trial) + "\n").encode(), "f.yaml")
        if not doc.problems and typed(doc.data) == data:
            lines = trial
            added.append(comment)
    return "\n".join(lines) + "\n", added


KINDS = {"measure": "measures", "source": "sources", "instrument": "instruments"}


@pytest.mark.parametrize("name", sorted(models.RECORD_KINDS.keys() | models.SINGLE_FILE_MODELS.keys()))
def test_generated_records_keep_their_data_and_comments_and_format_idempotently(name):
    from test_schema import committed, from_schema

    kind = name
    schema_name = {v: k for k, v in KINDS.items()}.get(name, name)

    @given(doc=from_schema(committed(schema_name)), random=st.randoms(use_true_random=False),
           flow=st.sampled_from([False, None]), width=st.sampled_from([40, 100, 10**6]),
           picks=st.lists(st.tuples(st.integers(0, 10**4), st.booleans(), st.sampled_from([0, 2, 5])),
                          max_size=6))
    def check(doc, random, flow, width, picks):
        doc = shuffled(clean(doc), random)
        text = dump(doc, width=width, default_flow_style=flow)
        assume(parse_bytes(text.encode(), "f.yaml").problems == [])
        text, comments = with_comments(text, picks)
        out = formatted(text, kind)
        assert typed(read(out)) == typed(read(text))
        for comment in comments:
            assert out.count(comment + "\n") == 1, comment
        assert out_of_order(read(out), fmt.model_for(kind)) == []
        assert formatted(out, kind) == out
        assert_tidy(out)

    check()


SPECIAL = st.text(st.sampled_from(list(" :#-?,[]{}&*!|>'\"%@`.~=<+_\n\tyYnNoO01x\u00a0\u3000\u200bé")),
                  max_size=12)


@given(text=SPECIAL | st.text(max_size=12), flow=st.booleans())
@example(text="0e00", flow=False)
@example(text="1_0", flow=False)
@example(text="2022-13-45", flow=False)
def test_a_string_reads_back_the_same_for_yaml_1_2_and_yaml_1_1_readers(text, flow):
    text = clean(text)
    written = fmt.inline(fmt.Scalar(text, '"', text), fmt.NO_SHAPE, flow)
    line = f"k: [{written}]\n" if flow else f"k: {written}\n"
    expected = {"k": [text]} if flow else {"k": text}
    assert read(line) == expected           # our reader: YAML 1.2 core
    assert yaml.safe_load(line) == expected  # PyYAML: YAML 1.1


@given(text=SPECIAL | st.text(max_size=12), flow=st.booleans())
def test_what_is_written_plain_pyyaml_would_write_plain_too(text, flow):
    from io import StringIO

    analysis = yaml.emitter.Emitter(StringIO(), allow_unicode=True).analyze_scalar(text)
    if fmt.plain_ok(text, flow):
        assert analysis.allow_flow_plain if flow else analysis.allow_block_plain


@given(text=st.text(st.sampled_from(list("ab .,:#-\n\u3000")), min_size=1, max_size=300))
def test_free_text_reads_back_the_same_folded_or_not(text):
    out = formatted(f"notes: {fmt.quoted(text)}\n")
    assert read(out) == {"notes": text}
    assert formatted(out) == out
