"""A dataset as every check last found it clean, remembered so that the next run need not load
it: the validation's own index of its files (file_index.Index, `clean.index` in the dataset's
facts folder), written after a run over the whole dataset that found nothing. Its key is the day
of that run: the verdict holds on that day and after (record_checks.py says why), as each fact's.

The next run takes one stat per file, and checks alone the few files changed since (changes.py).
When each is valid alone, every problem a full run would report is one of the rules across
records: none, when what they see of each file is unchanged; else what they find, run over the
digests kept in the facts. An edited title or comment in one file of 200,000 then costs the
stats, not the load; an edited date or reference, the digests and the rules. The index is the
validation's, not the database cache's: `validate` works the same whether or not a query ever
built a database.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

from . import recheck, watcher
from .changes import since
from .dataset import PARALLEL_FROM, Dataset, rel_in
from .errors import Problem
from .facts import folder_of
from .file_index import Index, Seen, seen_now
from .store import read_own

NAME = "clean.index"


def checked_since_clean(root: Path, today: dt.date, named: Iterable[Path] = (), most: int = PARALLEL_FROM,
                        seen: Seen | None = None, seen_by: Index | None = None) -> tuple[Dataset, list[Problem]] | None:
    """The dataset, counted and indexed but not loaded, with every problem a full run would find
    (each changed file valid alone: those of the rules across records), when each `named` file
    is one of its own and at most `most` files changed; else None (a full run is needed).
    `seen`: what a look at the disk saw against the index `seen_by` (the database's: refresh.py),
    taken again unless it serves this index too."""
    raw = read_own(folder_of(root) / NAME)  # (one another user could write is never trusted)
    index = Index.parse(raw) if raw is not None else None
    if index is None or not index.key <= today.isoformat():  # (its verdict holds from its day on)
        return None
    if not all(rel is not None and index.lists(rel) for rel in (rel_in(root, path) for path in named)):
        return None  # (a file from elsewhere is checked with the dataset, in a full run)
    if seen is None:
        seen, seen_by = watcher.seen(root) or (None, None)  # (only the entries it saw change, looked at)
    if seen is not None and seen.listing is None:  # (its stats follow the entries seen_by lists)
        seen = seen._replace(listing=seen_by.listing) if seen_by is not None else None
    if seen is not None and seen.listing == index.listing:
        seen = seen._replace(listing=None)  # (the entries this index lists)
    if seen is None:
        try:
            seen = seen_now(root, index, relist=True)  # (a record added or removed is checked too)
        except OSError:
            return None
    found = since(root, index, seen, most, today) if seen is not None else None
    if found is None:
        return None
    if found.moved and not found.problems:
        found.index.key = today.isoformat()  # (the files checked now hold from today)
        _write(root, found.index)
    return Dataset(root, counted=found.index.counted(), index=found.index), list(found.problems)


def remember_clean(dataset: Dataset, today: dt.date) -> None:
    """After a run over the whole dataset that found nothing, as of `today`: its index, for the
    next run (and for a build's index: Dataset.index)."""
    if dataset.seen is None:
        return  # (not every file valid alone, or files from elsewhere)
    dataset.index = Index.of(today.isoformat(), dataset.root, dataset.read, dataset.made, dataset.marks, [],
                             dataset.began)
    _write(dataset.root, dataset.index)
    summary = recheck.summary_of(dataset)  # (what the rules need after a few records change)
    if summary is not None:
        recheck.keep(dataset.root, dataset.index.marks, summary)


def _write(root: Path, index: Index) -> None:
    folder = folder_of(root)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        index.write(folder / NAME)
        os.chmod(folder / NAME, 0o600)
    except OSError:
        pass  # (costs only speed next time)
