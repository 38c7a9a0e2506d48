"""The database of the last build, updated for the records that changed, instead of rebuilt.

Every row of a record table belongs to one record (a measure's events, an instrument's parties, a
citation's record). The records to redo are those that changed, were added or removed (their
record as validated, not only their file's bytes), and, until nothing more is found, the records
whose rows refer to a redone record's rows (a measure citing a changed source, a measure linking
to a changed measure): their rows are deleted, children first, and built again from the validated
records (taken from the facts: Dataset.as_indexed), parents first, so that every foreign key
holds at every step. Then the rows of the table built from the others (measure_summary) are
made again for the measures redone. The update works on a copy of the old database file;
anything unexpected means a full build instead.
A change to a single file (vocabularies, coverage) always means a full build.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb

from . import db, spare
from .dataset import Dataset, NotAsValidated
from .files import RECORD_FOLDERS
from .flat_tables import TABLE, TABLES, build_rows
from .limits import UPDATE_MEMORY

#: For each table of records: the SQL (for a row aliased {a}) that names the record owning the row,
#: as (kind, id).
OWNER = {
    "sources": ("'sources'", "{a}.id"),
    "citations": ("CASE {a}.record_kind WHEN 'measure' THEN 'measures' ELSE 'instruments' END",
                  "{a}.record_id"),
    "instruments": ("'instruments'", "{a}.id"),
    "instrument_parties": ("'instruments'", "{a}.instrument_id"),
    "instrument_amends": ("'instruments'", "{a}.instrument_id"),
    **{t.name: ("'measures'", "{a}.id" if t.name == "measures" else "{a}.measure_id") for t in TABLES
       if t.name == "measures" or "measure_id" in t.column_names},
}


def _owner(table: str, alias: str) -> tuple[str, str]:
    kind, ident = OWNER[table]
    return kind.format(a=alias), ident.format(a=alias)


def _in_redo(table: str, alias: str) -> str:
    kind, ident = _owner(table, alias)
    return f"EXISTS (SELECT 1 FROM redo r WHERE r.kind = {kind} AND r.id = {ident})"
MAX_SHARE = 0.2  # redoing more than this share of the records: a full build is as quick


def _closure(con: duckdb.DuckDBPyConnection) -> None:
    """Add to `redo` every record whose rows refer to a record in `redo`, until none: one
    statement per round over every reference that can cross records (one per key took twice as
    long)."""
    statement = (f"INSERT INTO redo SELECT DISTINCT kind, id FROM ({' UNION ALL '.join(_CROSSING)}) x"
                 " WHERE NOT EXISTS (SELECT 1 FROM redo r WHERE r.kind = x.kind AND r.id = x.id)")
    while con.execute(statement).fetchall()[0][0]:
        pass


def _crossing() -> list[str]:
    """For each foreign key that can cross records, from a row of one to the row that is another
    record (a link to a measure, an act named, a source cited): the SQL naming the records whose
    rows refer to one in `redo`. Every other reference (to a record's citations, to its targets)
    comes only from that record's own rows (flat_tables.build_rows makes them so), and a row's
    reference to its own record needs nothing; were that ever not so, deleting the row referred
    to would break the key, and a full build would follow. (Joining every key instead scanned
    every table in each round: 0.5 s at 100,000 measures, against 0.05 s.)"""
    found = []
    for table in TABLES:
        if table.name not in OWNER:
            continue
        kind, ident = _owner(table.name, "c")
        for own, parent, theirs in table.foreign_keys:
            if parent in OWNER and OWNER[parent][1] == "{a}.id" and theirs == ("id",) and ident != f"c.{own[0]}":
                found.append(f"SELECT {kind} AS kind, {ident} AS id FROM {table.name} c"
                             f' WHERE c."{own[0]}" IN (SELECT id FROM redo WHERE kind = {OWNER[parent][0]})')
    return found


_CROSSING = _crossing()


def worth_it(changed: set[tuple[str, str]] | None, total: int) -> bool:
    """Whether an update for these changed records beats a full build of `total` records."""
    return changed is not None and len(changed) <= MAX_SHARE * max(total, 1)


def update(old_path: Path, new_path: Path, dataset: Dataset, changed: set[tuple[str, str]] | None,
           key: str, base: str) -> bool:
    """Write at `new_path` the database of `dataset`, from the one of key `base` at `old_path`
    (or its spare: spare.py), whose records differ by `changed` (cache.Index.records_changed_since;
    None: a single file changed). False when a full build is needed instead (the caller removes
    `new_path`)."""
    total = sum(map(dataset.count, RECORD_FOLDERS))
    if not worth_it(changed, total):
        return False
    if not spare.take(old_path, new_path):
        shutil.copyfile(old_path, new_path)
    con = duckdb.connect(str(new_path), config={"memory_limit": UPDATE_MEMORY})
    try:
        if con.execute("SELECT key FROM dataset_meta").fetchall() != [(base,)]:
            raise _FullBuild  # (never expected: the file is the one its name says)
        con.execute("CREATE TEMP TABLE redo (kind VARCHAR, id VARCHAR)")
        con.executemany("INSERT INTO redo VALUES (?, ?)", sorted(changed))
        _closure(con)
        redo = con.execute("SELECT DISTINCT kind, id FROM redo").fetchall()
        if not worth_it(set(redo), total):
            raise _FullBuild
        for table in reversed(TABLES):  # children first
            if table.name in OWNER:
                con.execute(f"DELETE FROM {table.name} WHERE {_in_redo(table.name, table.name)}")
        rows = build_rows(_part(dataset, redo))
        for table in TABLES:  # parents first
            if table.name in OWNER:
                db.insert_few(con, TABLE[table.name], rows[table.name])
        db.update_summary(con, "IN (SELECT id FROM redo WHERE kind = 'measures')")
        con.execute("UPDATE dataset_meta SET key = ?", [key])
        con.execute("CHECKPOINT")
    except (_FullBuild, NotAsValidated, duckdb.Error):
        return False
    finally:
        con.close()
    return True


class _FullBuild(Exception):
    pass


def _part(dataset: Dataset, redo: list[tuple[str, str]]) -> Any:
    """The records to build rows for: those of `redo` that still exist."""
    part = Dataset(dataset.root)
    for kind, ident in redo:
        record = dataset.fetch(kind, ident)
        if record is not None:
            getattr(part, kind)[ident] = record
    return part
