"""Speed of the dataset at 1x, 10x and 100x its size, as ratios to baselines measured in this run.

    python benchmarks/run.py [--runs 7] [--scales 1,10,100]

Baselines: a bare `python -c "import duckdb"` (the cost of any DuckDB-backed command) and bare
libyaml parsing of the same files (the cost any YAML-based tool pays). Measured:
- warm `sanctions query --sector seafood --format json` (cache built) / bare duckdb import;
- `sanctions validate` / bare YAML parsing of the same files;
- cold build (parse, validate, build the database) / bare YAML parsing.
The issue's target: warm query within 3x the bare duckdb import.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
CLI = [sys.executable, "-m", "sanctions"]


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of `runs` runs (after one warm-up run), in seconds."""
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scaled_copy(factor: int, target: Path) -> Path:
    """The dataset `factor` times over: every record copied with suffixed IDs and URLs."""
    shutil.copytree(DATA, target)
    ids = sorted({p.stem for folder in ("measures", "sources", "instruments")
                  for p in (DATA / folder).glob("*.yaml")}, key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z0-9-])(" + "|".join(map(re.escape, ids)) + r")(?![a-z0-9-])")
    for copy in range(1, factor):
        for folder in ("measures", "sources", "instruments"):
            for path in (DATA / folder).glob("*.yaml"):
                text = pattern.sub(lambda m, n=copy: f"{m.group(1)}-x{n}", path.read_text())
                text = re.sub(r"^(\s*(?:url|archived_url): \S+)$", rf"\1#copy-{copy}", text, flags=re.M)
                (target / folder / f"{path.stem}-x{copy}.yaml").write_text(text)
    return target


BARE_YAML = ("import sys, pathlib, yaml\n"
             "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
             "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scales", default="1,10,100")
    args = parser.parse_args()
    env = {**os.environ}
    env.pop("SANCTIONS_DATA", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["SANCTIONS_CACHE_DIR"] = str(Path(tmp) / "cache")
        duckdb_import = timed([sys.executable, "-c", "import duckdb"], env, args.runs)
        print(f"baseline: bare `python -c 'import duckdb'`: {duckdb_import * 1000:.0f} ms")
        print(f"{'scale':>5} {'records':>8} {'query warm':>16} {'validate':>18} {'cold build':>18}")
        for factor in map(int, args.scales.split(",")):
            data = DATA if factor == 1 else scaled_copy(factor, Path(tmp) / f"data-x{factor}")
            records = sum(1 for _ in data.glob("*/*.yaml"))
            bare_yaml = timed([sys.executable, "-c", BARE_YAML, str(data)], env, args.runs)
            query = timed([*CLI, "query", "--data", str(data), "--sector", "seafood", "--format", "json"],
                          env, args.runs)
            validate = timed([*CLI, "validate", "--data", str(data)], env, max(3, args.runs // 2))
            cold_times = []
            for _ in range(max(3, args.runs // 2)):
                shutil.rmtree(env["SANCTIONS_CACHE_DIR"], ignore_errors=True)
                start = time.perf_counter()
                subprocess.run([*CLI, "stats", "--data", str(data)], env=env, cwd=REPO, check=True,
                               capture_output=True)
                cold_times.append(time.perf_counter() - start)
            cold = statistics.median(cold_times)
            print(f"{factor:>4}x {records:>8} {query * 1000:>7.0f} ms {query / duckdb_import:>4.1f}x"
                  f" {validate * 1000:>8.0f} ms {validate / bare_yaml:>5.1f}x"
                  f" {cold * 1000:>8.0f} ms {cold / bare_yaml:>5.1f}x")
        print("ratios: query / bare duckdb import (target <= 3x); validate and cold build / bare "
              "libyaml parsing of the same files")


if __name__ == "__main__":
    main()
