"""`sanctions validate` over the good fixtures, the bad-record corpus and the shipped data."""

from __future__ import annotations

import json

import pytest

from conftest import BAD, GOOD

# Each bad file, checked against the good dataset, must produce exactly these problems:
# (file under fixtures/bad, line, column, field, code).
EXPECTED = [
    ("measures/alias-only.yaml", 3, 8, "title", "yaml-alias"),
    ("measures/bad-id.yaml", 2, 1, "id", "bad-format"),
    ("measures/billion-laughs.yaml", 3, 4, "a", "yaml-anchor"),
    ("measures/control-char.yaml", 8, 14, "", "control-character"),
    ("measures/curation-note.yaml", 10, 1, "notes", "curation-note"),
    ("measures/date-mismatch.yaml", 9, 21, "events[0].date", "date-mismatch"),
    ("measures/deep-nesting.yaml", 8, 39, "notes" + "[0]" * 31, "yaml-too-deep"),
    ("measures/duplicate-key.yaml", 8, 1, "title", "yaml-duplicate-key"),
    ("measures/empty.yaml", 1, 1, "", "empty"),
    ("measures/hs-unquoted.yaml", 9, 5, "goods[0].code", "wrong-type"),
    ("measures/id-mismatch.yaml", 2, 1, "id", "id-mismatch"),
    ("measures/impossible-date.yaml", 9, 23, "events[0].date", "bad-format"),
    ("measures/latin1.yaml", 10, 11, "", "encoding"),
    ("measures/lifted-before-force.yaml", 10, 20, "events[1].date", "event-order"),
    ("measures/merge-key.yaml", 8, 1, "", "yaml-merge-key"),
    ("measures/missing-events.yaml", 1, 1, "events", "missing-field"),
    ("measures/no-primary-text.yaml", 8, 1, "events", "primary-source-missing"),
    ("measures/old-version.yaml", 1, 1, "schema_version", "schema-version"),
    ("measures/python-tag.yaml", 8, 8, "notes", "yaml-tag"),
    ("measures/quote-too-long.yaml", 13, 7, "events[0].citation.quote", "bad-length"),
    ("measures/self-link.yaml", 11, 25, "links[0].measure", "self-link"),
    ("measures/syntax-error.yaml", 9, 1, "", "yaml-syntax"),
    ("measures/tab-indent.yaml", 9, 1, "", "yaml-syntax"),
    ("measures/two-documents.yaml", 10, 1, "", "yaml-multiple-documents"),
    ("measures/type-typo.yaml", 6, 1, "type", "not-in-vocabulary"),
    ("measures/unfinished-quote.yaml", 11, 39, "events[0].citation.quote", "placeholder"),
    ("measures/unknown-authority.yaml", 4, 1, "authority", "unknown-authority"),
    ("measures/unknown-field.yaml", 1, 1, "title", "missing-field"),
    ("measures/unknown-field.yaml", 3, 1, "titel", "unknown-field"),
    ("measures/unknown-link.yaml", 11, 25, "links[0].measure", "unknown-measure"),
    ("measures/unknown-sector.yaml", 7, 20, "sectors[1]", "unknown-sector"),
    ("measures/unknown-source.yaml", 11, 16, "events[0].citation.source", "unknown-source"),
    ("sources/credentials-url.yaml", 7, 1, "url", "bad-url"),
    ("sources/duplicate-url.yaml", 2, 1, "id", "uncited-source"),
    ("sources/duplicate-url.yaml", 7, 1, "url", "duplicate-source"),
    ("sources/ftp-url.yaml", 7, 1, "url", "bad-url"),
    ("sources/future-access.yaml", 2, 1, "id", "uncited-source"),
    ("sources/future-access.yaml", 6, 1, "accessed", "future-date"),
    ("sources/reserved-host.yaml", 2, 1, "id", "uncited-source"),
    ("sources/reserved-host.yaml", 7, 1, "url", "placeholder-host"),
    ("sources/uncited.yaml", 2, 1, "id", "uncited-source"),
]
BAD_FILES = sorted({name for name, *_ in EXPECTED})


def test_the_good_fixtures_are_valid(cli):
    result = cli("validate", "--data", GOOD)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "valid: tests/fixtures/good/: 8 measures, 5 instruments, 5 sources\n"


def test_success_names_what_was_checked_when_files_are_named(cli):
    result = cli("validate", "--data", GOOD, GOOD / "measures" / "g7-2022-lending-denial.yaml")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == ("valid: 1 file against tests/fixtures/good/ "
                             "(8 measures, 5 instruments, 5 sources)\n")


def test_every_bad_file_has_an_expectation():
    on_disk = sorted(str(p.relative_to(BAD)) for p in BAD.glob("*/*.yaml"))
    assert on_disk == BAD_FILES


@pytest.mark.parametrize("name", BAD_FILES)
def test_each_bad_file_is_refused_with_file_line_and_field(cli, name):
    result = cli("validate", "--data", GOOD, BAD / name, "--format", "json")
    assert result.exit_code == 1
    got = [(p["path"], p["line"], p["column"], p["field"], p["code"]) for p in json.loads(result.stdout)]
    want = [(f"tests/fixtures/bad/{n}", *rest) for n, *rest in EXPECTED if n == name]
    assert got == want
    assert "Traceback" not in result.output


def test_text_report_is_one_line_per_problem_with_a_hint(cli):
    result = cli("validate", "--data", GOOD, BAD / "measures/type-typo.yaml",
                 BAD / "measures/hs-unquoted.yaml", BAD / "measures/unknown-field.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "tests/fixtures/bad/measures/hs-unquoted.yaml:9:5: goods[0].code: expected string, got a "
        "number 302: write it in quotes",
        "tests/fixtures/bad/measures/type-typo.yaml:6:1: type: \"import_bann\" is not one of: "
        "asset_freeze, financial_restrictions, investment_ban, financial_messaging_disconnection, "
        "lending_denial, import_ban, import_restrictions, export_ban, export_control, "
        "trade_status_revocation, tariff_increase, services_ban, transportation_restrictions, "
        "travel_ban, arms_embargo, military_measures, unspecified; did you mean 'import_ban'?",
        "tests/fixtures/bad/measures/unknown-field.yaml:1:1: title: required field 'title' is missing",
        "tests/fixtures/bad/measures/unknown-field.yaml:3:1: titel: unknown field 'titel'; "
        "did you mean 'title'?",
    ]
    assert result.stderr == "4 problems in 3 files\n"


def test_json_report_has_the_contract_fields(cli):
    result = cli("validate", "--data", GOOD, BAD / "sources/ftp-url.yaml", "--format", "json")
    assert json.loads(result.stdout) == [{
        "path": "tests/fixtures/bad/sources/ftp-url.yaml", "line": 7, "column": 1, "field": "url",
        "code": "bad-url",
        "message": '"ftp://example.org/report" must be an http(s) URL without user name or password',
    }]


def test_whole_dataset_reports_every_problem_sorted(cli, good_copy):
    (good_copy / "measures" / "us-2021-option-weighed.yaml").write_text(
        (good_copy / "measures" / "us-2021-option-weighed.yaml").read_text().replace(
            "authority: US", "authority: ZZ"))
    (good_copy / "sources" / "orphan.yaml").write_text(
        (BAD / "sources" / "uncited.yaml").read_text().replace("id: uncited", "id: orphan"))
    (good_copy / "measures" / "stray.yml").write_text("id: stray\n")
    result = cli("validate", "--data", good_copy)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["-", "authority", "id"]
    assert lines[0].endswith("stray.yml:1:1: -: not read: records are '<id>.yaml' files directly in measures/")
    assert lines == sorted(lines)


def test_a_named_file_is_checked_against_the_rest(cli, good_copy):
    # The link resolves only because the rest of the dataset holds the target measure.
    result = cli("validate", "--data", good_copy, good_copy / "measures" / "eu-2022-messaging-ban.yaml")
    assert (result.exit_code, result.stdout) == (0, "")


def test_a_source_cited_only_by_a_withdrawn_record_still_counts(cli, good_copy):
    path = good_copy / "measures" / "us-2021-option-weighed.yaml"
    path.write_text(path.read_text() + "withdrawn: {date: 2026-11-02, reason: duplicate}\n")
    assert cli("validate", "--data", good_copy).exit_code == 0


def test_norway_stays_norway(cli, good_copy):
    path = good_copy / "measures" / "us-2022-requested-trade-cutoff.yaml"
    path.write_text(path.read_text().replace("actor: UA", "actor: NO"))
    assert cli("validate", "--data", good_copy).exit_code == 0


def test_sanctions_data_environment_variable_selects_the_dataset(cli, good_copy):
    (good_copy / "measures" / "g7-2022-lending-denial.yaml").write_text("id: [")
    result = cli("validate", env={"SANCTIONS_DATA": str(good_copy)})
    assert result.exit_code == 1
    assert f"{good_copy}/measures/g7-2022-lending-denial.yaml:2:1: -: invalid YAML" in result.stdout


def test_bad_usage_exits_2_with_one_line(cli):
    missing = cli("validate", "--data", GOOD, "no/such/file.yaml")
    assert (missing.exit_code, missing.stderr) == (
        2, "error: no such file: no/such/file.yaml (hint: name YAML files of the dataset)\n")
    no_dir = cli("validate", "--data", "no/such/dir")
    assert no_dir.exit_code == 2 and len(no_dir.stderr.splitlines()) == 1
    bad_format = cli("validate", "--format", "xml")
    assert bad_format.exit_code == 2
    assert bad_format.stderr.startswith("error: Invalid value for '--format'")
    assert len(bad_format.stderr.splitlines()) == 1


def test_the_shipped_dataset_is_valid(cli):
    result = cli("validate")
    assert result.stdout == ""
    assert result.exit_code == 0


@pytest.mark.parametrize("change, problem", [
    (lambda t: t.replace("  - {family: swift_disconnection, authority: EU, status: complete}\n", ""),
     "coverage.yaml:9:1: cells: no cell for swift_disconnection × EU: add one (complete, partial or none_found)"),
    (lambda t: t.replace("authority: US, status: complete}", "authority: US, status: none_found, note: x}"),
     "coverage.yaml:10:49: cells[0].status: none_found, but 1 measure is recorded "
     "(us-2022-seafood-import-ban): make it complete or partial"),
    (lambda t: t.replace("authority: EU, status: none_found, note: \"The Official Journal was searched for 'fish'.\"}",
                         "authority: EU, status: complete}"),
     "coverage.yaml:11:49: cells[1].status: complete, but no measure is recorded: if none was found, say "
     "none_found and what was searched"),
    (lambda t: t.replace(', note: "Only the option weighed in 2021 is recorded."', ""),
     "coverage.yaml:12:5: cells[2].note: a partial cell needs a note: what is missing"),
    (lambda t: t.replace("sectors: [seafood]}", "sectors: [seafod]}"),
     "coverage.yaml:7:102: families[0].sectors[0]: 'seafod' is not in vocabularies/sectors.yaml\n"
     "coverage.yaml:10:49: cells[0].status: complete, but no measure is recorded: if none was found, say "
     "none_found and what was searched"),
])
def test_the_coverage_record_is_checked_against_the_records(cli, good_copy, change, problem):
    path = good_copy / "coverage.yaml"
    path.write_text(change(path.read_text()))
    result = cli("validate", "--data", good_copy)
    assert result.exit_code == 1
    assert [line.split("/data/", 1)[1] for line in result.stdout.splitlines()] == problem.split("\n")


@pytest.mark.parametrize("written, message", [
    ("2022-02-30", '"2022-02-30": no such day'),
    ("20220311", "20220311 is not a date: write dates as YYYY-MM-DD"),
    ('"2022-3-11"', '"2022-3-11" is not a date: write dates as YYYY-MM-DD'),
])
def test_dates_are_exactly_yyyy_mm_dd_and_messages_say_what_is_wrong(cli, good_copy, written, message):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text().replace("{kind: announced, date: 2022-03-11,",
                                             f"{{kind: announced, date: {written},"))
    result = cli("validate", "--data", good_copy)
    assert result.stdout.splitlines() == [f"{path}:15:23: events[0].date: {message}"]  # nothing else


# --- work in a child process (apart.py: validate.load_released, for builds of large datasets) -----


def _fails(value):
    raise ValueError(f"bad {value}")


def _sleeps_with_a_worker(mark):
    """Records its own and a worker's process IDs, then waits (to be stopped)."""
    import multiprocessing
    import os
    import time
    from pathlib import Path

    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    worker.start()
    Path(mark).write_text(f"{os.getpid()} {worker.pid}")
    time.sleep(60)


def test_a_child_s_result_and_error_come_back_as_if_here():
    from sanctions.apart import ChildTraceback, in_child

    assert in_child(pow, 2, 10) == 1024
    with pytest.raises(ValueError, match="bad 3") as raised:
        in_child(_fails, 3)
    assert isinstance(raised.value.__cause__, ChildTraceback)  # shown by --debug
    assert "_fails" in str(raised.value.__cause__)


def test_an_interrupted_parent_stops_the_child_and_its_workers(tmp_path):
    import os
    import signal
    import time

    from sanctions.apart import in_child

    mark = tmp_path / "pids"

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        with pytest.raises(KeyboardInterrupt):
            in_child(_sleeps_with_a_worker, str(mark))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for pid in map(int, mark.read_text().split()):  # the child, and its worker
        for _ in range(100):
            if not _running(pid):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"process {pid} is still running")


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait a while for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_dataset_is_large_from_apart_from_record_files_on(tmp_path, monkeypatch):
    """Counted across the record folders, and only as far as the threshold."""
    from sanctions import validate as validate_module

    monkeypatch.setattr(validate_module, "APART_FROM", 5)
    for folder, count in (("measures", 2), ("sources", 2)):
        (tmp_path / folder).mkdir()
        for n in range(count):
            (tmp_path / folder / f"r{n}.yaml").write_text("x: 1\n")
    assert not validate_module._large(tmp_path)
    (tmp_path / "instruments").mkdir()
    (tmp_path / "instruments" / "i.yaml").write_text("x: 1\n")
    assert validate_module._large(tmp_path)
