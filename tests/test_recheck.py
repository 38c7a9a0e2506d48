"""The rules across records after a few records changed, decided from the summary of the dataset
as last found clean (recheck.py): after every edit, `validate` reports exactly what a run over
every file from nothing reports; the summary decides alone only when nothing is to be found, and
the summary it keeps is the one a full run makes."""

from __future__ import annotations

import pytest

from sanctions import recheck
from sanctions.checks import run_checks
from sanctions.clean import NAME as CLEAN
from sanctions.dataset import load_dataset
from sanctions.facts import folder_of
from sanctions.file_index import Index
from sanctions.validate import validate

from conftest import age, edit_text, rule_runs


@pytest.fixture
def data(good_copy, tmp_path, monkeypatch):
    """The good dataset, its files dated in the past (none 'racy'), validated once: found clean."""
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "cache"))
    age(good_copy)
    assert validate(good_copy).problems == []
    return good_copy


def full(root):
    """What a run over every file, from nothing, reports."""
    ds, problems = load_dataset(root, reuse=False)
    return sorted(set(problems + run_checks(ds)))


def edit(root, rel, old, new):
    edit_text(root / rel, old, new, count=-1)


def write(root, rel, text):
    (root / rel).write_text(text)
    age(root, root / rel)


def copy_as(root, rel, new_id, *replacements):
    kind, _, name = rel.partition("/")
    text = (root / rel).read_text().replace(f"id: {name.removesuffix('.yaml')}\n", f"id: {new_id}\n")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    write(root, f"{kind}/{new_id}.yaml", text)


SEAFOOD, DIAMONDS = "measures/us-2022-seafood-import-ban.yaml", "measures/us-2022-diamonds-import-ban.yaml"

#: Edits after which the dataset is still valid: the summary decides, no rule runs over every record.
VALID = {
    "an event date": lambda r: edit(r, SEAFOOD, "kind: in_force, date: 2022-03-11", "kind: in_force, date: 2022-03-12"),
    "a source's accessed date": lambda r: edit(r, "sources/gov-statement.yaml", "accessed: 2026-11-01", "accessed: 2026-10-30"),
    "a measure added": lambda r: copy_as(r, SEAFOOD, "us-2022-seafood-import-ban-again"),
    "a measure removed": lambda r: (r / "measures/us-2022-alcohol-import-ban.yaml").unlink(),
    "a link added": lambda r: edit(r, DIAMONDS, "events:", "links:\n  - {relation: follows, measure: us-2022-seafood-import-ban}\nevents:"),
    "a citation added": lambda r: edit(r, DIAMONDS, "kind: announced, date: 2022-03-11, citation: {source: gov-statement}",
                                       "kind: announced, date: 2022-03-11, citation: {source: news-report}"),
    "a link removed": lambda r: edit(r, "measures/eu-2022-messaging-ban.yaml",
                                     "links:\n  - {relation: follows, measure: us-2021-option-weighed, note: the option weighed in December 2021}\n", ""),
    "an instrument added and named": lambda r: (
        copy_as(r, "instruments/fx-order-1.yaml", "fx-order-2"),
        edit(r, DIAMONDS, "  - {instrument: fx-order-1", "  - {instrument: fx-order-2}\n  - {instrument: fx-order-1")),
}

#: Edits after which the rules find something (or might): what a full run reports, exactly.
BROKEN = {
    "an unknown source": lambda r: edit(r, SEAFOOD, "source: gov-statement}", "source: no-such-source}"),
    "an instrument's date against its events": lambda r: edit(r, "instruments/fx-order-1.yaml", "date: 2022-03-11", "date: 2022-03-10"),
    "a cited source removed": lambda r: (r / "sources/gov-statement.yaml").unlink(),
    "a named instrument removed": lambda r: (r / "instruments/fx-licence-1.yaml").unlink(),
    "a measure linked to removed": lambda r: (r / "measures/us-2021-option-weighed.yaml").unlink(),
    "a URL shared": lambda r: edit(r, "sources/news-report.yaml", "url: https://www.reuters.com/world/weigh-options?id=1",
                                   "url: https://www.federalregister.gov/d/2022-05554"),
    "a primary text no more": lambda r: [edit(r, f"sources/{s}.yaml", f"kind: {k}", "kind: news")
                                         for s, k in (("gov-order-text", "legal_text"), ("gov-statement", "official_statement"))],
    "a self-link": lambda r: edit(r, DIAMONDS, "events:", "links:\n  - {relation: follows, measure: us-2022-diamonds-import-ban}\nevents:"),
    "an adopted date against its instrument": lambda r: edit(r, SEAFOOD, "kind: adopted, date: 2022-03-11, instrument: fx-order-1",
                                                             "kind: adopted, date: 2022-03-10, instrument: fx-order-1"),
    "in force, citing no primary text": lambda r: edit(r, "measures/us-2021-option-weighed.yaml", "events:\n",
                                                       "events:\n  - {kind: in_force, date: 2022-01-01, citation: {source: news-report}}\n"),
    "supersedes in a circle": lambda r: [edit(r, rel, "events:", f"links:\n  - {{relation: supersedes, measure: {other}}}\nevents:")
                                         for rel, other in ((DIAMONDS, "us-2022-seafood-import-ban"),
                                                            (SEAFOOD, "us-2022-diamonds-import-ban"))],
    "amends in a circle": lambda r: [edit(r, f"instruments/{i}.yaml", "citation:", f"amends: [{other}]\ncitation:")
                                     for i, other in (("fx-order-1", "fx-licence-1"), ("fx-licence-1", "fx-order-1"))],
    "an instrument amending itself": lambda r: edit(r, "instruments/fx-order-1.yaml", "citation:", "amends: [fx-order-1]\ncitation:"),
    "a source added, cited by none": lambda r: copy_as(r, "sources/news-report.yaml", "news-report-again", ("?id=1", "?id=2")),
    "a source cited no more": lambda r: [edit(r, f"measures/{m}.yaml", "source: news-report", "source: gov-statement")
                                         for m in ("us-2021-option-weighed", "us-2022-requested-trade-cutoff")],
    "a none_found cell holds one": lambda r: copy_as(r, SEAFOOD, "eu-2022-seafood-import-ban", ("authority: US", "authority: EU")),
    "a complete cell emptied": lambda r: edit(r, SEAFOOD, "sectors: [seafood]", "sectors: [diamonds]"),
}

#: Edits after which the dataset is still valid, that the summary cannot tell from one that is not.
UNDECIDED = {
    "an instrument's source, not a primary text": lambda r: edit(r, "instruments/fx-order-1.yaml", "citation: {source: gov-order-text}",
                                                                 "citation: {source: news-report}"),
    "an instrument's date, no event on it dated": lambda r: edit(r, "instruments/fx-licence-1.yaml", "date: 2022-03-11", "date: 2022-03-10"),
}


@pytest.mark.parametrize("change", VALID, ids=list(VALID))
def test_after_an_edit_that_breaks_nothing_the_summary_decides_and_the_report_is_a_full_runs(data, monkeypatch, change):
    VALID[change](data)
    runs = rule_runs(monkeypatch)
    assert validate(data).problems == [] == full(data)
    assert runs == []


@pytest.mark.parametrize("change", BROKEN, ids=list(BROKEN))
def test_after_an_edit_that_breaks_a_rule_the_report_is_a_full_runs(data, change):
    BROKEN[change](data)
    expected = full(data)
    assert expected and validate(data).problems == expected
    assert validate(data).problems == expected  # (and again, from what the first kept)


@pytest.mark.parametrize("change", UNDECIDED, ids=list(UNDECIDED))
def test_an_edit_the_summary_cannot_decide_runs_the_rules_over_every_record(data, monkeypatch, change):
    UNDECIDED[change](data)
    runs = rule_runs(monkeypatch)
    assert validate(data).problems == [] == full(data)
    assert runs == [1]
    ds, _ = load_dataset(data, reuse=False)
    assert kept_summary(data) == recheck.summary_of(ds)  # (kept from that run, for the next edit)


def test_two_summaries_are_kept_the_newest(data):
    for change in ("an event date", "a citation added", "a link added"):
        VALID[change](data)
        assert validate(data).problems == []
    assert len(list(folder_of(data).glob("rules-*.summary"))) == recheck.KEEP == 2
    assert kept_summary(data) is not None


def kept_summary(root):
    index = Index.parse((folder_of(root) / CLEAN).read_bytes())
    return recheck.load(root, index.marks)


def test_the_summary_kept_after_edits_is_the_one_a_full_run_makes(data, monkeypatch):
    runs = rule_runs(monkeypatch)
    for change in VALID.values():
        change(data)
        assert validate(data).problems == []
    assert runs == []
    ds, _ = load_dataset(data, reuse=False)
    assert kept_summary(data) == recheck.summary_of(ds)


def test_a_broken_edit_then_mended_leaves_the_summary_of_the_clean_data(data):
    BROKEN["an unknown source"](data)
    assert validate(data).problems
    edit(data, SEAFOOD, "source: no-such-source}", "source: gov-statement}")
    VALID["an event date"](data)
    assert validate(data).problems == []
    ds, _ = load_dataset(data, reuse=False)
    assert kept_summary(data) == recheck.summary_of(ds)


def test_a_summary_of_other_data_or_code_or_another_user_is_not_used(data, monkeypatch):
    [before] = folder_of(data).glob("rules-*.summary")
    summary = before.read_bytes()
    VALID["an event date"](data)
    assert validate(data).problems == []
    [now] = set(folder_of(data).glob("rules-*.summary")) - {before}
    now.write_bytes(summary)                                # (of the data before this edit)
    runs = rule_runs(monkeypatch)
    VALID["a citation added"](data)
    assert validate(data).problems == [] and runs == [1]    # (not the data the index describes)
    VALID["a link added"](data)
    [now] = sorted(folder_of(data).glob("rules-*.summary"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    now.chmod(0o620)
    assert validate(data).problems == [] and runs == [1, 1]
    now.chmod(0o600)
    monkeypatch.setattr(recheck, "code_hash", lambda: "other code")
    edit(data, SEAFOOD, "kind: in_force, date: 2022-03-12", "kind: in_force, date: 2022-03-13")
    assert validate(data).problems == [] and runs == [1, 1, 1]
