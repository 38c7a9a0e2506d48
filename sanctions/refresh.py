"""The database cache brought up to date by the command itself, without loading the rest, after
edits to a few files each valid alone, or records added or removed.

The data is checked from the validation's own index of the dataset as last found clean
(clean.py, with changes.py), as `validate` checks it: the two never disagree on what was
checked, and the digests the facts keep are always those of the state the rules last saw. An
edit that changes no record (a comment) changes only the database's index. One that changes
records (a title; a date, once the rules across records found nothing) means the database is
updated in place for the records that differ from the ones it holds (cache.brought_up), taken
from the facts the check alone kept. Anything else, anything the rules find, or more than MOST
changed files, is left to the build, which validates everything and reports it (cache._build).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .cache import Update, brought_up, index_of
from .clean import checked_since_clean
from .file_index import Index, Seen

#: More changed files than this: the build's own validation (on both cores) is the better path.
MOST = 64


def refreshed(root: Path, index: Index, index_path: Path, seen: Seen) -> Index | None:
    """The database's index of the data, once it (and, if a record changed, the database) is
    brought up to date; None when a build is needed. `seen`: what the freshness check found on
    disk against `index` (cache._fresh)."""
    checked = checked_since_clean(root, dt.date.today(), most=MOST, seen=seen, seen_by=index)
    if checked is None or checked[1] or checked[0].index is None:
        return None  # (the build validates, and reports what is found)
    new = index_of(root, checked[0])
    if not brought_up(root, index_path.parent, index_path.stem, index_path, new.key, new,
                      Update(index.key, new.records_changed_since(index), new.counted())):
        return None
    return new
