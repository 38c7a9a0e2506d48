"""Generate a valid dataset of N measures from the shipped one, for benchmarks.

    python benchmarks/generate.py --measures 10000 --out /tmp/data-10k

The shipped records are copied round after round with suffixed IDs until at least N measures
exist (whole rounds, so that every source stays cited). Each
copy round keeps the records' real sizes, events, citations, goods codes and links (to the copies
of the same round); sources and instruments are shared by SHARE consecutive rounds, as acts and
official texts are shared by many measures, so every file stays cited and every reference resolves.
The result passes `sanctions validate`.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SHARE = 3  # rounds of measures that share one round of sources and instruments


def _pattern(ids: list[str]) -> re.Pattern[str]:
    ids = sorted(ids, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9-])(" + "|".join(map(re.escape, ids)) + r")(?![a-z0-9-])")


def generate(measures: int, out: Path, source: Path = DATA) -> Path:
    """Write a dataset of at least `measures` measures to `out` (which must not exist)."""
    shutil.copytree(source, out)
    originals = {folder: sorted((source / folder).glob("*.yaml"))
                 for folder in ("measures", "sources", "instruments")}
    texts = {path: path.read_text(encoding="utf-8") for paths in originals.values() for path in paths}
    measure_ids = [p.stem for p in originals["measures"]]
    shared_ids = [p.stem for p in originals["sources"] + originals["instruments"]]
    own = _pattern(measure_ids)
    shared = _pattern(shared_ids)
    per_round = len(measure_ids)
    rounds = -(-measures // per_round)
    for n in range(1, rounds):
        group = n // SHARE
        for path in originals["measures"]:
            text = own.sub(lambda m: f"{m.group(1)}-r{n}", texts[path])
            if group:
                text = shared.sub(lambda m: f"{m.group(1)}-g{group}", text)
            (out / "measures" / f"{path.stem}-r{n}.yaml").write_text(text, encoding="utf-8")
        if group and n % SHARE == 0:
            for folder in ("sources", "instruments"):
                for path in originals[folder]:
                    text = shared.sub(lambda m: f"{m.group(1)}-g{group}", texts[path])
                    text = re.sub(r"^(\s*(?:url|archived_url): \"?[^\s\"]+)", rf"\1#copy-{group}", text,
                                  flags=re.M)
                    (out / folder / f"{path.stem}-g{group}.yaml").write_text(text, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.measures, args.out)
    counts = {f: sum(1 for _ in (args.out / f).glob("*.yaml")) for f in ("measures", "sources", "instruments")}
    print(f"{args.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
