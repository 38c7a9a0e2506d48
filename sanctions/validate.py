"""`sanctions validate`: every problem of a dataset, or of some of its files, in one sorted run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .checks import run_checks
from .dataset import Dataset, load_dataset, no_collection
from .files import shown
from .errors import DataError, Problem, UsageError


@dataclass
class Report:
    """What `validate` found, and what it checked (for the one line it prints on success)."""

    problems: list[Problem]
    checked: str

    def __iter__(self):
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)


def summary(dataset: Dataset, named: list[Path]) -> str:
    counts = (f"{len(dataset.measures)} measures, {len(dataset.instruments)} instruments, "
              f"{len(dataset.sources)} sources")
    if named:
        return f"{len(named)} file{'s' * (len(named) != 1)} against {shown(dataset.root)}/ ({counts})"
    return f"{shown(dataset.root)}/: {counts}"


def validate(root: Path, paths: list[Path] | None = None,
             today: dt.date | None = None) -> Report:
    """All problems, sorted; with `paths`, only those in the named files (checked against the rest)."""
    named = []
    for path in paths or []:
        if not path.is_file():
            raise UsageError(f"no such file: {path}", hint="name YAML files of the dataset")
        named.append(path)
    with no_collection():
        dataset, problems = load_dataset(root, extra=named, today=today)
        problems = problems + run_checks(dataset)
    if named:
        wanted = {shown(p) for p in named}
        problems = [p for p in problems if p.path in wanted]
    return Report(sorted(set(problems)), summary(dataset, named))


def load_valid(root: Path) -> Dataset:
    """The dataset, or DataError with every problem when any file is invalid."""
    with no_collection():
        dataset, problems = load_dataset(root)
        problems = sorted(set(problems + run_checks(dataset)))
    if problems:
        raise DataError(problems)
    return dataset
