"""The YAML loader against the alternatives, on the shipped records repeated `--repeat` times.

    python benchmarks/loader.py [--repeat 20]

Prints seconds and ratios to bare `yaml.load(..., CSafeLoader)` (libyaml, YAML 1.1, aliases
expanded, no locations) measured in the same run. sanctions.io also builds YAML 1.2 values, refuses
anchors/aliases/tags/duplicate keys and records every field's line and column. ruamel.yaml is timed
too when it is installed (it is not a dependency).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from sanctions.io import parse_bytes

DATA = Path(__file__).resolve().parent.parent / "data"


def best_of(runs: int, body) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    blobs = [p.read_bytes() for p in sorted(DATA.rglob("*.yaml"))] * args.repeat
    candidates = {
        "yaml.load CSafeLoader (baseline)": lambda: [yaml.load(b, Loader=yaml.CSafeLoader) for b in blobs],
        "yaml.load SafeLoader (pure Python)": lambda: [yaml.load(b, Loader=yaml.SafeLoader) for b in blobs],
        "sanctions.io.parse_bytes": lambda: [parse_bytes(b, "x.yaml") for b in blobs],
    }
    try:
        from ruamel.yaml import YAML

        ruamel = YAML(typ="rt")
        candidates["ruamel.yaml round-trip"] = lambda: [ruamel.load(b) for b in blobs]
    except ImportError:
        pass
    baseline = None
    print(f"{len(blobs)} documents, {sum(map(len, blobs)) / 1e6:.1f} MB")
    for name, body in candidates.items():
        seconds = best_of(3, body)
        baseline = baseline or seconds
        print(f"{name:<38} {seconds:7.3f} s  {seconds / baseline:5.1f}x")


if __name__ == "__main__":
    main()
