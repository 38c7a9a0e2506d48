"""Speed and memory at 1,000, 10,000 and 100,000 measures, as ratios to floors measured in this run.

    python benchmarks/run.py [--scales 1000,10000,100000] [--runs 3]
    python benchmarks/run.py --data DIR [--runs 3]     # your own copy of the data, at any size

For each scale a dataset is generated (benchmarks/generate.py) and these are timed, each the
median of --runs runs (cold ones: a fresh cache each run), with the peak memory of the process:
- cold `validate`                         / bare libyaml parsing of the same files
- cold first `query` (builds the database) / bare libyaml parsing
- after one edited file: `validate PATH`, full `validate`, the next `query` (each run once
  untimed first, so that the edit is one from what the cache holds); the edit is a comment,
  which no record shows; then a title too, which the database shows and the rules across records
  do not (their last clean outcome holds); then a date that they see (a source's accessed date,
  moved a day back or forward again; `validate PATH` names the source's file); then a record
  added or removed ("+/- a record": a copy of the measure under a new ID, added by one edit and
  removed by the next, so that the rows alternate)
- warm `query`, `show`, `sql`             / a bare `python -c "import duckdb"` (each run twice
  untimed first, two seconds apart, as in use: on Linux the first starts the watcher of a large
  working copy, which looks at every file once, and the next is vouched for by it; see
  sanctions/watcher.py)
and the size of the cache (database, index and facts). Each command is run alternately with its
floor, and the ratio is the median of each pair's, so the ratios hold whatever the machine's load.
Warm commands are also compared with `import duckdb` plus one `stat` of every file: what any
freshness check of a working copy that reads no file must pay. Targets (issue 12): cold validate <= 2x the bare parse; after one
edit validate PATH <= 1 s, full validate <= 5 s, next query <= 2 s; warm commands <= 3x the bare
duckdb import; peak memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

CLI = [sys.executable, "-m", "sanctions"]
BARE_YAML = ("import sys, pathlib, yaml\n"
             "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
             "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n")
EDITED = "measures/us-2022-seafood-import-ban.yaml"  # edited in generated data; else the first measure


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time (s) and peak resident memory (bytes) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss * 1024


def median_run(cmd: list[str], env: dict[str, str], runs: int, before=None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        t, m = run_once(cmd, env)
        times.append(t)
        peaks.append(m)
    return statistics.median(times), max(peaks)


def paired(cmd: list[str], floor: list[str], env: dict[str, str], runs: int,
           before=None) -> tuple[float, int, float]:
    """`cmd` and its floor run alternately, `runs` times: the median time and the peak memory of
    `cmd`, and the median of the ratios of each pair (so that the machine's load moves both)."""
    times, peaks, ratios = [], [], []
    for _ in range(runs):
        base, _ = run_once(floor, env)
        if before:
            before()
        t, m = run_once(cmd, env)
        times.append(t)
        peaks.append(m)
        ratios.append(t / base)
    return statistics.median(times), max(peaks), statistics.median(ratios)


STAT_ALL = ("import duckdb, os, sys\n"
            "for folder in ('measures', 'sources', 'instruments'):\n"
            "    for entry in os.scandir(os.path.join(sys.argv[1], folder)):\n"
            "        entry.stat(follow_symlinks=False)\n")


def edit(path: Path, record: bool = False) -> None:
    """Change one file so that it differs from every earlier version: a comment, which no record
    shows, or (`record`) its title too, which the database shows and the rules across records do not."""
    text = path.read_text(encoding="utf-8")
    marker, title = "\n# benchmark edit ", " (benchmark edit "
    lines = text.split(marker)[0].splitlines(keepends=True)
    if record:
        at = next(i for i, line in enumerate(lines) if line.startswith("title: "))
        lines[at] = lines[at].split(title)[0].rstrip("\n") + f"{title}{time.time_ns()})\n"
    path.write_text("".join(lines) + f"{marker}{time.time_ns()}\n", encoding="utf-8")


def cited_source(measure: Path) -> Path:
    """The file of the first source a measure cites."""
    cited = re.search(r"(?m)^\s*source: (\S+)$", measure.read_text(encoding="utf-8"))
    return measure.parent.parent / "sources" / f"{cited.group(1)}.yaml"


def edit_date(path: Path) -> None:
    """Move a source's accessed date a day back, or forward again: an edit that the rules across
    records see (the source's digest), the dataset still valid."""
    marker = "# benchmark edit: accessed a day back\n"
    text = path.read_text(encoding="utf-8")
    back = marker not in text
    text = text + marker if back else text.replace(marker, "")
    found = re.search(r"(?m)^accessed: (\d{4}-\d{2}-\d{2})$", text)
    day = dt.date.fromisoformat(found.group(1)) + dt.timedelta(days=-1 if back else 1)
    path.write_text(text[:found.start(1)] + day.isoformat() + text[found.end(1):], encoding="utf-8")


def add_or_remove(measure: Path) -> None:
    """Add a copy of a measure under a new ID, or remove that copy again: a record more or fewer,
    which the rules across records see, the data still valid."""
    copy = measure.with_name(f"{measure.stem}-copy.yaml")
    if copy.exists():
        copy.unlink()
        return
    text = measure.read_text(encoding="utf-8")
    copy.write_text(text.replace(f"id: {measure.stem}\n", f"id: {measure.stem}-copy\n", 1), encoding="utf-8")


def mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, help="benchmark a copy of this data folder instead")
    args = parser.parse_args()
    # Python caches bytecode, as an installed package has it (pip compiles it): a machine that
    # forbids the cache would have every run compile the package's modules again, 20 ms.
    env = {k: v for k, v in os.environ.items() if k not in ("SANCTIONS_DATA", "PYTHONDONTWRITEBYTECODE")}
    with tempfile.TemporaryDirectory() as tmp:
        cache_parent = Path(tmp) / "cache"
        env["SANCTIONS_CACHE_DIR"] = str(cache_parent)

        def fresh_cache() -> None:
            shutil.rmtree(cache_parent, ignore_errors=True)

        scales = [0] if args.data else map(int, args.scales.split(","))
        for scale in scales:
            if args.data:  # a copy: the benchmark edits a file
                data = Path(tmp) / "data"
                shutil.copytree(args.data, data)
            else:
                data = generate(scale, Path(tmp) / f"data-{scale}")
            files = sum(1 for _ in data.rglob("*.yaml"))
            measures = sum(1 for _ in (data / "measures").glob("*.yaml"))
            d = ["--data", str(data)]
            cold_runs = 1 if measures >= 100_000 else args.runs
            rows: list[tuple[str, float, int, float | None, str]] = []

            bare = [sys.executable, "-c", BARE_YAML, str(data)]
            validate, m, ratio = paired([*CLI, "validate", *d], bare, env, cold_runs, before=fresh_cache)
            rows.append(("cold validate", validate, m, ratio, "bare parse"))
            build, m, ratio = paired([*CLI, "query", *d, "--sector", "seafood", "--format", "json"], bare,
                                     env, cold_runs, before=fresh_cache)
            rows.append(("cold first query", build, m, ratio, "bare parse"))
            bare_yaml, _ = median_run(bare, env, 1)

            bare_import = [sys.executable, "-c", "import duckdb"]
            stat_all = [sys.executable, "-c", STAT_ALL, str(data)]
            for name, cmd in (("warm query", ["query", *d, "--sector", "seafood", "--format", "json"]),
                              ("warm show", ["show", *d, "us-2022-seafood-import-ban", "--format", "json"]),
                              ("warm sql", ["sql", *d, "SELECT count(*) FROM events"])):
                run_once([*CLI, *cmd], env)  # in use: the first run starts the watcher, which
                time.sleep(2)                 # looks at every file once, and the next is vouched for
                run_once([*CLI, *cmd], env)
                t, m, ratio = paired([*CLI, *cmd], bare_import, env, args.runs)
                rows.append((name, t, m, ratio, "bare duckdb import"))
                _, _, ratio = paired([*CLI, *cmd], stat_all, env, args.runs)
                rows.append(("  (same)", t, m, ratio, "import duckdb + stat every file"))
            duckdb_import, _ = median_run(bare_import, env, args.runs)

            path = data / EDITED if (data / EDITED).exists() else sorted((data / "measures").glob("*.yaml"))[0]

            source = cited_source(path)
            for name, command, runs, target in (
                    ("validate PATH", lambda edited: ["validate", *d, str(edited)], args.runs, "target 1 s"),
                    ("full validate", lambda edited: ["validate", *d], cold_runs, "target 5 s"),
                    ("next query", lambda edited: ["query", *d, "--sector", "seafood", "--format", "json"],
                     cold_runs, "target 2 s")):
                for label, edited, change in ((f"edit, {name}", path, lambda: edit(path)),
                                              ("  (a title)", path, lambda: edit(path, record=True)),
                                              ("  (a date seen)", source, lambda: edit_date(source)),
                                              ("  (+/- a record)", path, lambda: add_or_remove(path))):
                    cmd = [*CLI, *command(edited)]

                    def before(cmd=cmd, change=change) -> None:  # the edit made to what the cache
                        run_once(cmd, env)                       # holds (the edits of other rows
                        change()                                 # are not this one's)
                    t, m = median_run(cmd, env, runs, before=before)
                    rows.append((label, t, m, None, target))
            size = sum(p.stat().st_size for p in cache_parent.rglob("*") if p.is_file())

            print(f"\n{measures:,} measures, {files:,} files; floors: bare libyaml parse "
                  f"{bare_yaml:.2f} s, bare `import duckdb` {duckdb_import * 1000:.0f} ms; "
                  f"cache on disk {mb(size)}")
            print(f"  {'what':<22} {'time':>9} {'peak memory':>12}  ratio")
            for name, t, m, ratio, floor in rows:
                shown = f"{ratio:5.2f}x {floor}" if ratio is not None else floor
                print(f"  {name:<22} {t:>8.2f}s {mb(m):>12}  {shown}")
            shutil.rmtree(data)


if __name__ == "__main__":
    main()
