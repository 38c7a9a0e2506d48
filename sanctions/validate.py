"""`sanctions validate`: every problem of a dataset, or of some of its files, in one sorted run."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from .apart import in_child
from .checks import run_checks
from .clean import checked_since_clean, remember_clean
from .dataset import PARALLEL_FROM, Dataset, load_dataset, no_collection
from .errors import DataError, Problem, UsageError
from .facts import found_nothing_before, remember_found_nothing
from .files import RECORD_FOLDERS, shown


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
    counts = (f"{dataset.count('measures')} measures, {dataset.count('instruments')} instruments, "
              f"{dataset.count('sources')} sources")
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
    dataset, problems = _checked(root, today or dt.date.today(), named)
    if named:
        wanted = {shown(p) for p in named}
        problems = [p for p in problems if p.path in wanted]
    return Report(problems, summary(dataset, named))


def _checked(root: Path, today: dt.date, named: list[Path] | None = None,
             unless_clean: bool = True) -> tuple[Dataset, list[Problem]]:
    """The dataset and every problem in it (with `named` files from elsewhere, checked with it).
    With `unless_clean`, one found clean before with a few files changed since, each valid alone,
    is not loaded (clean.py)."""
    with no_collection():
        found = checked_since_clean(root, today, named or []) if unless_clean else None
        if found is not None:
            return found[0], sorted(set(found[1]))
        dataset, problems = load_dataset(root, extra=named, today=today)
        return dataset, sorted(set(problems + rules_across(dataset, today)))


def rules_across(dataset: Dataset, today: dt.date) -> list[Problem]:
    """The rules across records (checks.py), unless they found nothing last time in a dataset
    that they saw exactly as now (the same IDs and digests, vocabularies and coverage, under the
    same code): an edit that leaves every digest as it was (a quote, a title, a note) costs them
    nothing. A dataset that nothing was found in is remembered (clean.remember_clean)."""
    if dataset.seen is not None and found_nothing_before(dataset.root, dataset.seen):
        remember_clean(dataset, today)
        return []
    found = run_checks(dataset)
    if dataset.seen is not None and not found:
        remember_found_nothing(dataset.root, dataset.seen)
        remember_clean(dataset, today)
    return found


def load_valid(root: Path, unless_clean: bool = False) -> Dataset:
    """The dataset, or DataError with every problem when any file is invalid. With `unless_clean`,
    one found clean as before comes back unloaded (clean.py)."""
    dataset, problems = _checked(root, dt.date.today(), unless_clean=unless_clean)
    if problems:
        raise DataError(problems)
    return dataset


APART_FROM = PARALLEL_FROM  # record files; below this, a child process costs more than it saves


def load_released(root: Path) -> Dataset:
    """What a build needs of the valid dataset (Dataset.released: the packed records, the
    vocabularies), or DataError. A large dataset is validated in a child process that hands back
    only that: Python keeps the heap of a validation (digests, documents, facts) after freeing it,
    which held 1.1 GB through every build at 100,000 measures, for 0.2 GB of packed records."""
    return apart_if_large(root, _released, root)


def apart_if_large(root: Path, function: Callable[..., Any], *args: Any) -> Any:
    """function(*args), in a child process when the dataset at `root` is large (see
    load_released); what it returns must be what the caller keeps."""
    if not _large(root) or "fork" not in mp.get_all_start_methods():
        return function(*args)
    return in_child(function, *args)


def _released(root: Path) -> Dataset:
    return load_valid(root).released()


def _large(root: Path) -> bool:
    """At least APART_FROM record files: entries are counted only up to there (the build's own
    listing reads the folders whole)."""
    left = APART_FROM
    for folder in RECORD_FOLDERS:
        try:
            with os.scandir(root / folder) as entries:
                left -= sum(1 for _ in islice(entries, left))
        except OSError:
            pass
        if left <= 0:
            return True
    return False
