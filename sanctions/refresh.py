"""The database cache brought up to date by the command itself, without loading the rest, after
edits to a few files each valid alone (changes.py says how that is known).

An edit that changes no record (a comment) changes only the index. One that changes records (a
title; a date, once the rules across records found nothing in the digests kept) means the
database is updated in place for those records (cache.brought_up), which take them from the
facts the check alone kept. Anything else, anything the rules find, or more than MOST changed
files, is left to the build, which validates everything and reports it (cache._build).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .cache import Update, brought_up
from .changes import since
from .file_index import Index, Seen

#: More changed files than this: the build's own validation (on both cores) is the better path.
MOST = 64


def refreshed(root: Path, index: Index, index_path: Path, seen: Seen) -> Index | None:
    """The index of the data, once it (and, if a record changed, the database) is brought up to
    date; None when a build is needed. `seen`: what the freshness check found on disk
    (cache.fresh_key), the same entries as indexed."""
    found = since(root, index, seen, MOST, dt.date.today())
    if found is None or found.problems or not found.moved:
        return None  # (the build validates, and reports what is found)
    new = found.index
    if not found.changed:
        new.write(index_path)
        return new
    new.key = new.records_key()
    if not brought_up(root, index_path.parent, index_path.stem, index_path, new.key, new,
                      Update(index.key, new.records_changed_since(index), new.counted())):
        return None
    return new
