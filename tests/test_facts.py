"""Files unchanged since the last run are not read again (facts.py), and the result is always the
one a full run from nothing gives: after edits, additions, withdrawals, deletions and invalid
files; never from a shard another user could have written, nor under other code."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest

from sanctions import changes
from sanctions import dataset as dataset_module
from sanctions import facts as facts_module
from sanctions.checks import run_checks
from sanctions.clean import checked_since_clean
from sanctions.dataset import load_dataset
from sanctions.files import SINGLE_FILES
from sanctions.validate import summary, validate

from conftest import age, edit_text, rule_runs


def reads(monkeypatch) -> list[str]:
    """The files read from disk (parsed), from now on."""
    seen: list[str] = []
    real = dataset_module.read_file

    def counting(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(dataset_module, "read_file", counting)
    return seen


def snapshot(root, reuse):
    ds, problems = load_dataset(root, reuse=reuse)
    records = {kind: {k: v.model_dump(mode="json") for k, v in getattr(ds, kind).items()}
               for kind in ("measures", "sources", "instruments", "authorities", "sectors")}
    return records, ds.digests, sorted(problems), ds.read, ds.invalid


def same_as_from_nothing(root):
    assert snapshot(root, reuse=True) == snapshot(root, reuse=False)
    fresh, problems = load_dataset(root, reuse=False)
    assert validate(root).problems == sorted(set(problems + run_checks(fresh)))


def test_a_second_run_reads_nothing_and_one_edit_reads_one_file(data, monkeypatch):
    load_dataset(data)
    seen = reads(monkeypatch)
    load_dataset(data)
    assert seen == []
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    measure.write_text(measure.read_text().replace("2022-03-11", "2022-03-12", 1))
    age(data, measure)
    load_dataset(data)
    assert seen == ["us-2022-seafood-import-ban.yaml"]


def test_edits_additions_withdrawals_and_deletions_equal_a_full_run(data):
    load_dataset(data)
    same_as_from_nothing(data)
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    measure.write_text(measure.read_text().replace("2022-03-11", "2022-03-12", 1))  # an edited date
    source = next((data / "sources").glob("*.yaml"))
    added = data / "sources" / f"{source.stem}-copy.yaml"  # a new record (a duplicate URL: a problem)
    added.write_text(source.read_text().replace(f"id: {source.stem}", f"id: {source.stem}-copy"))
    other = data / "measures" / "ca-2022-seafood-import-ban.yaml"  # withdrawn
    other.write_text(other.read_text() + "withdrawn: {date: 2026-11-01, reason: Recorded twice by mistake.}\n")
    age(data, measure, added, other)
    same_as_from_nothing(data)
    added.unlink()  # deleted again
    bad = data / "instruments" / "ca-sor-2022-102.yaml"
    bad.write_text(bad.read_text().replace("kind: regulation", "kind: regulashun"))  # invalid
    age(data, bad)
    same_as_from_nothing(data)
    assert any(p.code != "" and "regulashun" in p.message for p in validate(data).problems)


def test_an_edit_that_keeps_size_and_mtime_is_seen(data, monkeypatch):
    """A same-size edit with the old mtime put back still changes the ctime (as git relies on)."""
    load_dataset(data)
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    st = measure.stat()
    measure.write_text(measure.read_text().replace("2022-03-11", "2022-03-12", 1))
    os.utime(measure, ns=(st.st_atime_ns, st.st_mtime_ns))
    seen = reads(monkeypatch)
    load_dataset(data)
    assert "us-2022-seafood-import-ban.yaml" in seen


def test_a_file_changed_just_before_the_recording_is_read_again(data, monkeypatch):
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    measure.write_text(measure.read_text())  # mtime now: too close to the recording to trust
    load_dataset(data)
    seen = reads(monkeypatch)
    load_dataset(data)
    assert seen == ["us-2022-seafood-import-ban.yaml"]


def test_other_code_ignores_the_facts(data, monkeypatch):
    load_dataset(data)
    monkeypatch.setattr(facts_module, "code_hash", lambda: "another version of the package")
    seen = reads(monkeypatch)
    load_dataset(data)
    assert len(seen) > 300


@pytest.mark.parametrize("damage", ["garbage", "group-writable", "foreign"])
def test_a_shard_that_is_damaged_or_not_ours_alone_is_never_used(data, monkeypatch, damage):
    load_dataset(data)
    shards = sorted(facts_module.Facts(data).folder.glob("*.pickle"))
    assert shards
    for shard in shards:
        if damage == "garbage":
            shard.write_bytes(b"not a pickle")
        elif damage == "group-writable":
            shard.chmod(0o620)
    if damage == "foreign":
        monkeypatch.setattr(facts_module.os, "getuid", lambda uid=os.getuid(): uid + 1)
    seen = reads(monkeypatch)
    assert snapshot(data, reuse=True) == snapshot(data, reuse=False)
    assert len(seen) > 300


def test_only_the_facts_of_recent_dataset_folders_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "cache"))
    from conftest import GOOD

    folders = []
    for n in range(facts_module.KEEP_DATASETS + 2):
        copy = tmp_path / f"d{n}"
        shutil.copytree(GOOD, copy)
        load_dataset(copy)
        folders.append(facts_module.Facts(copy).folder)
        if n == 0:
            mine = folders[0].parent / "notes.txt"
            mine.write_text("not ours")
        time.sleep(0.01)
    kept = sorted(p for p in folders[0].parent.iterdir() if p.name.endswith(".facts"))
    assert len(kept) == facts_module.KEEP_DATASETS
    assert folders[-1] in kept and folders[0] not in kept and mine.read_text() == "not ours"


def test_a_vocabulary_change_checks_every_record_against_it_again(data):
    load_dataset(data)
    authorities = data / "vocabularies" / "authorities.yaml"
    text = authorities.read_text()
    line = next(line for line in text.splitlines(keepends=True) if "{code: NZ," in line)
    authorities.write_text(text.replace(line, ""))  # New Zealand's measures now name an unknown code
    age(data, authorities)
    same_as_from_nothing(data)
    problems = validate(data).problems
    assert any(p.code == "unknown-authority" and p.path.endswith("measures/nz-2022-seafood-import-ban.yaml")
               for p in problems)


def test_a_record_checked_on_a_later_day_is_checked_again_for_an_earlier_one(data):
    """A date that is not in the future stays so as days pass (the facts' verdict holds on later
    days), but not on earlier ones: validate(today=...) on an earlier day checks again."""
    import datetime as dt

    later = dt.date(2030, 1, 1)
    assert validate(data, today=later).problems == []
    earlier = dt.date(2022, 3, 1)  # before events of the shipped measures
    fresh = validate(data, today=earlier).problems
    assert any(p.code == "future-date" for p in fresh)
    assert validate(data, today=earlier).problems == fresh  # the same, once more (nothing kept)
    assert validate(data, today=later).problems == []


def test_unchanged_records_are_not_revived_to_validate(data, monkeypatch):
    load_dataset(data)
    ds, _ = load_dataset(data)
    for kind in ("measures", "sources", "instruments"):
        records = getattr(ds, kind)
        assert all(type(v) is dataset_module.Packed for v in records._items.values())
        some = next(iter(records))
        assert records[some].id == some and type(records._items[some]) is not dataset_module.Packed


def test_the_rules_across_records_do_not_run_again_on_what_they_saw_before(data, monkeypatch):
    """Their outcome is a function of the digests, IDs and single files: an edit that changes none
    (a comment, a title) reuses 'nothing found'; one that changes a digest runs them again."""
    runs = rule_runs(monkeypatch)
    assert validate(data).problems == [] and len(runs) == 1
    measure = data / "measures" / "us-2022-seafood-import-ban.yaml"
    text = measure.read_text()
    measure.write_text(text.replace("title: ", "title: The ", 1) + "# a comment\n")
    age(data, measure)
    assert validate(data).problems == [] and len(runs) == 1
    cited = next(line for line in text.splitlines() if "source: " in line).split("source: ")[1].strip()
    measure.write_text(text.replace(f"source: {cited}", "source: no-such-source", 1))
    age(data, measure)
    problems = validate(data).problems
    assert len(runs) == 2 and "unknown-source" in {p.code for p in problems}
    measure.write_text(text)
    age(data, measure)
    assert validate(data).problems == [] and len(runs) == 2  # as first seen: found nothing then


@pytest.mark.parametrize("why", ["other code", "group-writable", "foreign"])
@pytest.mark.parametrize("memo", ["clear", "clean.index"])
def test_nothing_found_before_is_not_trusted_under_other_code_or_from_another_user(data, monkeypatch, why, memo):
    """Neither the rules' memo (`clear`) nor the dataset's clean index (clean.py), each tested with
    the other removed."""
    assert validate(data).problems == []
    folder = facts_module.Facts(data).folder
    clear, other = folder / memo, folder / ({"clear": "clean.index", "clean.index": "clear"}[memo])
    assert clear.exists()
    other.unlink()
    if why == "other code":
        monkeypatch.setattr(facts_module, "code_hash", lambda: "another version of the package")
        monkeypatch.setattr(changes, "code_hash", lambda: "another version of the package")
    elif why == "group-writable":
        clear.chmod(0o620)
    else:
        monkeypatch.setattr(facts_module.os, "getuid", lambda uid=os.getuid(): uid + 1)
    runs = rule_runs(monkeypatch)
    assert validate(data).problems == [] and len(runs) == 1


def test_a_dataset_found_clean_before_is_not_loaded_after_an_edit_its_records_do_not_show(data, monkeypatch):
    """After a comment: the changed file read alone, the others known by the clean index only (no
    bulk read but the vocabularies' and the changed file's shards), the rules not run; what is
    said of the dataset (counts, stats and hashes, records) is what a full load says; and the
    next run, with nothing changed, reads nothing at all."""
    assert validate(data).problems == []
    rel = "measures/us-2022-seafood-import-ban.yaml"
    (data / rel).write_text((data / rel).read_text() + "# a comment\n")
    age(data, data / rel)
    seen, runs, bulk = reads(monkeypatch), rule_runs(monkeypatch), []
    real = facts_module.Facts._bulk_of
    monkeypatch.setattr(facts_module.Facts, "_bulk_of", lambda self, index: bulk.append(index) or real(self, index))
    ds, found = checked_since_clean(data, dt.date.today())
    vocabularies = sorted(Path(r).name for r in SINGLE_FILES.values())  # (read with it, to check it against)
    assert found == [] and sorted(seen) == sorted(["us-2022-seafood-import-ban.yaml", *vocabularies])
    assert runs == [] and set(bulk) <= {facts_module._shard(r) for r in (rel, *SINGLE_FILES.values())}
    seen.clear()
    assert validate(data).problems == [] and seen == [] and runs == []
    full, _ = load_dataset(data, reuse=False)
    assert ds.counted == {kind: len(getattr(full, kind)) for kind in ("measures", "sources", "instruments")}
    assert ds.index.files == {rel: [*entry, full.made[rel], full.marks[rel]] for rel, entry in full.read.items()}
    indexed = dataset_module.Dataset.as_indexed(data, full.made.get, ds.counted)  # (records from the facts)
    assert indexed.fetch("measures", "us-2022-seafood-import-ban") == full.fetch("measures", "us-2022-seafood-import-ban")
    assert indexed.fetch("measures", "no-such-measure") is None
    with pytest.raises(dataset_module.NotAsValidated):  # the facts hold another record than the one validated
        dataset_module.Dataset.as_indexed(data, lambda rel: "0" * 32, ds.counted).fetch("measures", "us-2022-seafood-import-ban")


def without_summary(root) -> int:
    """The rules' summary (recheck.py) removed: they run over every digest kept. How many times
    they then run after one edit."""
    [summary.unlink() for summary in facts_module.folder_of(root).glob("rules-*.summary")]
    return 1


@pytest.mark.parametrize("runs_after", [lambda root: 0, without_summary], ids=["summary", "every digest"])
def test_an_edit_the_rules_see_is_checked_from_the_digests_kept_and_loads_nothing(data, monkeypatch, runs_after):
    """A date the rules across records see, still valid: the changed file read alone, nothing
    found, by the rules' summary (recheck.py) or, without it, by the rules run once over every
    digest from the facts; and the next run, with nothing changed, reads nothing and runs no rule."""
    assert validate(data).problems == []
    expected = runs_after(data)
    rel = "measures/us-2022-seafood-import-ban.yaml"
    edit_text(data / rel, "  - kind: in_force\n    date: 2022-03-11", "  - kind: in_force\n    date: 2022-03-12")
    seen, runs = reads(monkeypatch), rule_runs(monkeypatch)
    assert validate(data).problems == [] and len(runs) == expected
    vocabularies = sorted(Path(r).name for r in SINGLE_FILES.values())
    assert sorted(seen) == sorted(["us-2022-seafood-import-ban.yaml", *vocabularies])  # (read once: for both)
    seen.clear()
    assert validate(data).problems == [] and seen == [] and len(runs) == expected


def _added(root):
    """A measure copied under a new ID: valid."""
    text = (root / "measures" / "us-2022-seafood-import-ban.yaml").read_text()
    (root / "measures" / "us-2022-seafood-import-ban-again.yaml").write_text(
        text.replace("id: us-2022-seafood-import-ban\n", "id: us-2022-seafood-import-ban-again\n"))
    age(root, root / "measures" / "us-2022-seafood-import-ban-again.yaml")
    return "us-2022-seafood-import-ban-again.yaml"


def _removed(root):
    """A measure that no other links to, withdrawn from the folder: valid."""
    ds, _ = load_dataset(root, reuse=False)
    linked = {target for m in ds.digests["measures"].values() for _, target in m.links}
    gone = sorted(set(ds.digests["measures"]) - linked)[0]
    (root / "measures" / f"{gone}.yaml").unlink()
    return None


@pytest.mark.parametrize("runs_after", [lambda root: 0, without_summary], ids=["summary", "every digest"])
@pytest.mark.parametrize("change", [_added, _removed])
def test_a_record_added_or_removed_is_checked_without_loading_the_rest(data, monkeypatch, change, runs_after):
    """Only the new file (and the vocabularies) read, nothing found by the rules' summary or (without
    it) by the rules run once over the digests kept, the counts a full run gives; the next run
    reads nothing."""
    assert validate(data).problems == []
    expected = runs_after(data)
    new = change(data)
    seen, runs = reads(monkeypatch), rule_runs(monkeypatch)
    report = validate(data)
    vocabularies = sorted(Path(r).name for r in SINGLE_FILES.values())
    assert report.problems == [] and len(runs) == expected
    assert sorted(seen) == sorted(([new] if new else []) + vocabularies)
    full, _ = load_dataset(data, reuse=False)
    assert report.checked == summary(full, [])
    seen.clear()
    assert validate(data).problems == [] and seen == [] and len(runs) == expected


def test_the_digests_kept_are_those_of_the_bytes_indexed(data):
    """Dataset.as_digested gives what a full load gives the rules, and nothing from a bulk entry
    taken from other bytes."""
    from sanctions.dataset import Dataset, read_vocabularies
    from sanctions.file_index import Index

    assert validate(data).problems == []
    index = Index.read(facts_module.folder_of(data) / "clean.index")
    full, _ = load_dataset(data, reuse=False)
    vocabularies = read_vocabularies(data, dt.date.today())
    digested = Dataset.as_digested(data, index.record_hashes(), vocabularies)
    assert digested.digests == full.digests and digested.authorities == full.authorities
    assert digested.documents[("measures", "us-2022-seafood-import-ban")].path == full.documents[
        ("measures", "us-2022-seafood-import-ban")].path
    hashes = index.record_hashes()
    hashes["measures/us-2022-seafood-import-ban.yaml"] = "0" * 32
    assert Dataset.as_digested(data, hashes, vocabularies) is None
    assert Dataset.as_digested(data, {**index.record_hashes(), "measures/gone.yaml": "0" * 32}, vocabularies) is None


def test_a_dataset_found_clean_is_not_taken_as_clean_on_an_earlier_day(data, monkeypatch):
    """A verdict holds on its day and after (record_checks.py): checked as of an earlier day, every
    file is read again."""
    today = dt.date.today()
    assert validate(data, today=today).problems == []
    seen = reads(monkeypatch)
    assert validate(data, today=today).problems == [] and seen == []
    validate(data, today=today - dt.timedelta(days=1))
    assert len(seen) == len(list(data.rglob("*.yaml")))


def test_a_file_from_elsewhere_is_checked_with_a_dataset_found_clean(data, tmp_path):
    """Named on the command line, a file outside the data folder is no file of the clean index:
    it is checked, with the rest."""
    assert validate(data).problems == []
    outside = tmp_path / "measures" / "us-2022-seafood-import-ban.yaml"
    outside.parent.mkdir()
    outside.write_text((data / "measures" / "us-2022-seafood-import-ban.yaml").read_text().replace(
        "sectors: [seafood]", "sectors: [seafod]"))
    assert {p.code for p in validate(data, [outside]).problems} >= {"unknown-sector"}
    assert validate(data, [data / "measures" / "us-2022-seafood-import-ban.yaml"]).problems == []


def _invalid_alone(root):
    edit_text(root / "instruments" / "ca-sor-2022-102.yaml", "kind: regulation", "kind: regulashun")


def _unknown_sector(root):  # (valid as a record: only the check against the vocabularies finds it)
    edit_text(root / "measures" / "us-2022-seafood-import-ban.yaml", "sectors: [seafood]", "sectors: [seafod]")


def _vocabulary(root):
    path = root / "vocabularies" / "authorities.yaml"
    line = next(line for line in path.read_text().splitlines(keepends=True) if "{code: NZ," in line)
    edit_text(path, line, "")


def _misnamed_copy(root):
    source = root / "measures" / "us-2022-seafood-import-ban.yaml"
    copy = root / "measures" / "us-2022-seafood-import-ban-copy.yaml"
    copy.write_text(source.read_text())
    age(root, copy)


def _unknown_source(root):
    path = root / "measures" / "us-2022-seafood-import-ban.yaml"
    cited = next(line for line in path.read_text().splitlines() if "source: " in line).split("source: ")[1]
    edit_text(path, f"source: {cited}", "source: no-such-source")


def _cited_source_removed(root):
    path = root / "measures" / "us-2022-seafood-import-ban.yaml"
    cited = next(line for line in path.read_text().splitlines() if "source: " in line).split("source: ")[1]
    (root / "sources" / f"{cited.strip()}.yaml").unlink()


def _linked_measure_removed(root):
    ds, _ = load_dataset(root, reuse=False)
    target = next(target for m in ds.digests["measures"].values() for _, target in m.links)
    (root / "measures" / f"{target}.yaml").unlink()


def _folder_added(root):
    (root / "measures" / "drafts").mkdir()


@pytest.mark.parametrize("change", [_invalid_alone, _unknown_sector, _vocabulary, _misnamed_copy, _unknown_source,
                                    _cited_source_removed, _linked_measure_removed, _folder_added])
def test_after_a_clean_run_every_problem_is_found_as_a_full_run_finds_it(data, change):
    assert validate(data).problems == []
    change(data)
    fresh, problems = load_dataset(data, reuse=False)
    expected = sorted(set(problems + run_checks(fresh)))
    assert expected and validate(data).problems == expected


def test_a_record_is_never_taken_from_a_bulk_file_out_of_step_with_the_index(data):
    """The two files of a shard are written one after the other: a bulk file left from an older
    run (or a stop between the writes) must not give an older record for a fact that holds."""
    load_dataset(data)
    rel = "measures/us-2022-seafood-import-ban.yaml"
    bulk = facts_module.Facts(data).folder / f"{facts_module._shard(rel):02x}.pickle"
    older = bulk.read_bytes()
    edit_text(data / rel, "2022-03-11", "2022-03-12")
    load_dataset(data)
    bulk.write_bytes(older)
    same_as_from_nothing(data)
