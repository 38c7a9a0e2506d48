"""`sanctions validate`: every problem of a dataset, or of some of its files, in one sorted run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .checks import run_checks
from .dataset import Dataset, load_dataset
from .files import shown
from .errors import DataError, Problem, UsageError


def validate(root: Path, paths: list[Path] | None = None,
             today: dt.date | None = None) -> list[Problem]:
    """All problems, sorted; with `paths`, only those in the named files (checked against the rest)."""
    named = []
    for path in paths or []:
        if not path.is_file():
            raise UsageError(f"no such file: {path}", hint="name YAML files of the dataset")
        named.append(path)
    dataset, problems = load_dataset(root, extra=named)
    problems = problems + run_checks(dataset, today)
    if named:
        wanted = {shown(p) for p in named}
        problems = [p for p in problems if p.path in wanted]
    return sorted(set(problems))


def load_valid(root: Path) -> Dataset:
    """The dataset, or DataError with every problem when any file is invalid."""
    dataset, problems = load_dataset(root)
    problems = sorted(set(problems + run_checks(dataset)))
    if problems:
        raise DataError(problems)
    return dataset
