"""Hostile input, each finding of the reliability review as a test: files that are not regular
files, forged output lines, terminal escapes, huge numbers, bad arguments, runaway SQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import GOOD, REPO


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI as a separate process (a hang fails the test at `timeout`, it does not block)."""
    return subprocess.run([sys.executable, "-m", "sanctions", *args], cwd=REPO, capture_output=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def lines(output: bytes) -> list[str]:
    return output.decode("utf-8").splitlines()


# --- 1. the dataset's files are regular files inside the data folder -------------------------


@pytest.mark.parametrize("make, what", [
    (lambda d: os.symlink("/dev/zero", d / "measures" / "z.yaml"), "a symbolic link"),
    (lambda d: os.mkfifo(d / "measures" / "p.yaml"), "a FIFO"),
    (lambda d: os.symlink(d / "measures" / "loop.yaml", d / "measures" / "loop.yaml"), "a symbolic link"),
    (lambda d: os.symlink("/etc/passwd", d / "measures" / "leak.yaml"), "a symbolic link"),
    (lambda d: os.symlink(d / "measures" / "us-2022-seafood-import-ban.yaml", d / "measures" / "copy.yaml"),
     "a symbolic link"),
])
@pytest.mark.parametrize("command", [("validate",), ("query", "--format", "csv"), ("stats",)])
def test_entries_that_are_not_regular_files_are_located_errors_everywhere(good_copy, tmp_path, make,
                                                                          what, command):
    make(good_copy)
    result = run(*command, "--data", str(good_copy), env={"SANCTIONS_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 1
    text = result.stdout.decode() + result.stderr.decode()
    assert f"{what}: the dataset's files must be regular files inside the data folder" in text
    assert "root:" not in text and "internal error" not in text  # nothing echoed, nothing crashed


def test_an_unreadable_folder_is_a_located_error(good_copy, monkeypatch, cli):
    real = os.scandir

    def refuse(path):
        if str(path).endswith("sources"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", refuse)
    result = cli("validate", "--data", good_copy)
    assert result.exit_code == 1
    assert "sources:1:1: -: cannot list the folder: Permission denied" in result.stdout


def test_upper_case_yaml_files_are_reported_not_skipped(cli, good_copy):
    (good_copy / "measures" / "loud.YAML").write_text("id: loud\n")
    result = cli("validate", "--data", good_copy)
    assert "loud.YAML:1:1: -: not read: records are '<id>.yaml' files directly in measures/" in result.stdout


# --- 6. output cannot be forged or carry terminal escapes --------------------------------------


def test_a_key_holding_a_newline_cannot_forge_a_problem_line(cli, good_copy):
    path = good_copy / "measures" / "forge.yaml"
    path.write_text('schema_version: "1.0"\n"x\\nmeasures/forged.yaml:1:1: id: FORGED": 1\n')
    result = cli("validate", "--data", good_copy)
    assert [line for line in result.stdout.splitlines() if "forge" in line] == [
        f"{good_copy}/measures/forge.yaml:2:1: -: keys are single words: no newline or tab"]


def test_a_file_name_holding_a_newline_is_one_escaped_line(cli, good_copy):
    (good_copy / "measures" / "b\nforged.yaml:1:1: id: FORGED.yaml").write_text("x: 1\n")
    result = cli("validate", "--data", good_copy)
    assert [line for line in result.stdout.splitlines() if "FORGED" in line] == [
        f"{good_copy}/measures/b\\x0aforged.yaml:1:1: id: FORGED.yaml:1:1: -: the file name holds control "
        "characters: rename the file"]


def test_the_names_of_a_clean_folder_are_tested_at_once(good_copy, monkeypatch):
    """One test for all the names of a folder without control characters, not one per name."""
    from sanctions import files

    calls: list[str] = []
    real = files.escape

    def counting(text, also=""):
        calls.append(text)
        return real(text, also)

    monkeypatch.setattr(files, "escape", counting)
    listed, problems = files.scan(good_copy)
    assert len(listed) > 10 and problems == []
    assert len(calls) == len(files.RECORD_FOLDERS)


@pytest.mark.parametrize("value", ['"\\e[31mred"', '"nul\\0"', '"\\u202Eevil"', '"bell\\a"'])
def test_control_characters_and_bidi_overrides_are_refused(cli, good_copy, value):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text().replace("title: Import ban on seafood", f"title: {value}"))
    result = cli("validate", "--data", good_copy)
    assert result.exit_code == 1
    assert "title: U+" in result.stdout and "is not allowed: control characters" in result.stdout
    assert "\x1b" not in result.output and "\u202e" not in result.output


def test_json_output_is_valid_utf8_whatever_the_file_names(good_copy, tmp_path):
    (good_copy / "measures").joinpath(os.fsdecode(b"bad\xff.yaml")).write_text("x: 1\n")
    result = run("validate", "--data", str(good_copy), "--format", "json")
    problems = json.loads(result.stdout.decode("utf-8"))  # decodes: valid UTF-8
    assert any(p["path"].endswith("bad\udcff.yaml") for p in problems)  # escaped, then decoded


# --- 9. bad input is a located error or exit 2, never an internal error ------------------------


def test_a_five_thousand_digit_number_is_a_located_error(cli, good_copy):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text() + "notes: " + "9" * 5000 + "\n")
    result = cli("validate", "--data", good_copy, "--format", "json")
    [problem] = [p for p in json.loads(result.stdout) if p["path"].endswith("seafood-import-ban.yaml")]
    assert (problem["field"], problem["code"]) == ("notes", "number-too-long")
    assert problem["message"].startswith("a number of 5000 characters")


@pytest.mark.parametrize("args", [("show", "\udcff"), ("sql", "SELECT '\udcff'"),
                                  ("query", "--search", "\udcff")])
def test_arguments_that_are_not_utf8_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "sanctions", *map(os.fsencode, args)], cwd=REPO,
                            capture_output=True, timeout=60)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: an argument is not valid UTF-8: " + os.fsencode(args[-1])
                                    .decode("utf-8", "backslashreplace") + " (hint: give arguments in UTF-8)"]


def test_a_cache_dir_that_is_not_utf8_exits_2():
    env = {**os.environ, "SANCTIONS_CACHE_DIR": os.fsdecode(b"/tmp/\xff")}
    result = subprocess.run([sys.executable, "-m", "sanctions", "stats", "--data", str(GOOD)], cwd=REPO,
                            capture_output=True, timeout=60, env=env)
    assert result.returncode == 2
    assert lines(result.stderr) == ["error: SANCTIONS_CACHE_DIR is not valid UTF-8 "
                                    "(hint: name a folder whose path is UTF-8)"]


# --- 5. what cannot be true is flagged -----------------------------------------------------------


def test_events_that_have_happened_cannot_lie_ahead(cli, good_copy):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    text = path.read_text().replace("{kind: announced, date: 2022-03-11", "{kind: announced, date: 2099-03-11")
    path.write_text(text + "  - {kind: expired, date: 2030-01-01, citation: {source: gov-order-text}}\n")
    result = cli("validate", "--data", good_copy)
    assert [line.split("seafood-import-ban.yaml:")[1] for line in result.stdout.splitlines()
            if "future-date" in line or "after today" in line] == [
        "15:23: events[0].date: 'announced' on 2099-03-11 is after today: only an entry into force, "
        "a wind-down's end or an expiry may be scheduled ahead"]


def test_supersedes_and_amends_cannot_go_round_in_a_circle(cli, good_copy):
    for one, other in (("us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban"),
                       ("us-2022-diamonds-import-ban", "us-2022-alcohol-import-ban")):
        path = good_copy / "measures" / f"{one}.yaml"
        path.write_text(path.read_text() + f"links:\n  - {{relation: supersedes, measure: {other}}}\n")
    result = cli("validate", "--data", good_copy)
    assert [line for line in result.stdout.splitlines() if "circle" in line] == [
        f"{good_copy}/measures/us-2022-alcohol-import-ban.yaml:21:28: links[0].measure: 'supersedes' links "
        "go round in a circle: us-2022-alcohol-import-ban -> us-2022-diamonds-import-ban -> "
        "us-2022-alcohol-import-ban"]


def test_a_host_that_mixes_scripts_is_refused(cli, good_copy):
    path = good_copy / "sources" / "news-report.yaml"
    path.write_text(path.read_text().replace("https://www.reuters.com", "https://www.rеuters.com"))  # Cyrillic е
    result = cli("validate", "--data", good_copy)
    assert "url: the host 'www.rеuters.com' mixes scripts" in result.stdout


# --- 4. SQL within limits -----------------------------------------------------------------------

CROSS_JOIN = "SELECT count(*) FROM range(100000000) a, range(100000) b"


def test_sql_stops_at_its_time_limit(tmp_path):
    started = time.monotonic()
    result = run("sql", "--data", str(GOOD), CROSS_JOIN, "--timeout", "1",
                 env={"SANCTIONS_CACHE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert lines(result.stderr) == ["error: stopped after 1 s, the time limit (hint: --timeout SECONDS allows more)"]
    assert time.monotonic() - started < 30


def test_ctrl_c_stops_a_query_and_exits_130(tmp_path):
    env = {**os.environ, "SANCTIONS_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "sanctions", "stats", "--data", str(GOOD)], cwd=REPO, env=env,
                   capture_output=True, timeout=60, check=True)  # build the cache first
    proc = subprocess.Popen([sys.executable, "-m", "sanctions", "sql", "--data", str(GOOD), CROSS_JOIN],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert lines(err)[-1] == "interrupted"


def test_a_result_too_large_for_memory_is_refused(cli):
    result = cli("sql", "--data", GOOD, "SELECT * FROM range(60000000)")
    assert result.exit_code == 1
    assert result.stderr == "error: the result has more than 1,000,000 rows (hint: add a LIMIT, or aggregate)\n"


def test_pivot_reads_and_dml_in_a_cte_does_not(cli):
    pivot = cli("sql", "--data", GOOD, "PIVOT (SELECT authority, type FROM measures) ON type USING count(*) "
                "ORDER BY authority", "--format", "csv")
    assert pivot.exit_code == 0 and pivot.stdout.splitlines()[1].startswith("EU,")
    dml = cli("sql", "--data", GOOD, "WITH d AS (DELETE FROM measure_sectors RETURNING *) SELECT count(*) FROM d")
    assert dml.exit_code == 1 and "read-only" in dml.stderr
    assert cli("sql", "--data", GOOD, "SELECT count(*) FROM measure_sectors", "--format", "csv").stdout == \
        "count_star()\n8\n"


@pytest.mark.parametrize("today", ["2028-02-29", "2028-03-01"])
def test_a_date_more_than_25_years_ahead_is_flagged_even_from_a_leap_day(good_copy, today):
    import datetime as dt

    from sanctions.validate import validate

    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text() + "  - {kind: expired, date: 2053-03-02, citation: {source: gov-order-text}}\n")
    problems = validate(good_copy, today=dt.date.fromisoformat(today)).problems
    assert [p.message for p in problems if p.code == "future-date"] == [
        "2053-03-02 is more than 25 years ahead: check the year"]
