"""`sanctions export`: the dataset in files other tools read without this package.

Every table of flat_tables.TABLES and the views users query, as Parquet, CSV, JSON, NDJSON, a
DuckDB file (in a storage format older DuckDB releases open) and a SQLite file; whole measures as
nested JSON documents; a Frictionless Data Package v2 descriptor (`datapackage.json`) for the
tables, and a datasette `metadata.json` beside the SQLite file. Everything is written into a
temporary folder beside the target and renamed into place at the end: a reader never sees half an
export, and a failed export leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UsageError
from .db import ddl
from .files import shown
from .store import content_hash_of
from .flat_tables import Column, Table


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    duckdb = "duckdb"
    sqlite = "sqlite"


#: Formats with one file per table, in the order the data package prefers to describe them.
TABULAR = (ExportFormat.csv, ExportFormat.parquet, ExportFormat.ndjson, ExportFormat.json)
DATABASE_FILE = {ExportFormat.duckdb: "sanctions.duckdb", ExportFormat.sqlite: "sanctions.sqlite"}
#: The exported DuckDB file opens in DuckDB 1.2 and later; 16 KiB blocks keep it small (2.5 MB, not
#: 26 MB with the default 256 KiB blocks, at 76 measures: each column takes at least one block).
DUCKDB_STORAGE = "STORAGE_VERSION 'v1.2.0', BLOCK_SIZE 16384"
#: Views exported as tables, with the columns that identify a row.
VIEWS = {"measure_overview": ("id",), "timeline": ("measure_id", "position"),
         "coverage_cells": ("family", "authority")}
DOCUMENTS = "measure_documents"
PACKAGE_NAME = "sanctions"
DATA_LICENCE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
                "path": "https://creativecommons.org/licenses/by/4.0/"}
MARKER = "datapackage.json"  # what makes a folder an export that --force may replace


def select_sql(table: Table, lists_as_json: bool = False) -> str:
    """SQL for a relation's rows, in key order; lists as JSON text where a format wants text."""
    columns = ", ".join(f'to_json("{c.name}")::VARCHAR AS "{c.name}"'
                        if lists_as_json and c.type.endswith("[]") else f'"{c.name}"' for c in table.columns)
    order = ", ".join(f'"{c}"' for c in table.primary_key)
    return f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'


def relations(con: Any) -> list[Table]:
    """Every exported relation: the tables as the layout declares them, the views as built (and
    described in the same terms)."""
    from .db import VIEW_DOCS
    from .flat_tables import TABLES

    found = list(TABLES)
    for view, key in VIEWS.items():
        doc = con.execute("SELECT comment FROM duckdb_views() WHERE database_name = 'dataset'"
                          " AND view_name = ?", [view]).fetchall()[0][0]
        columns = con.execute("SELECT column_name, data_type FROM duckdb_columns()"
                              " WHERE database_name = 'dataset' AND table_name = ? ORDER BY column_index",
                              [view]).fetchall()
        found.append(Table(view, doc, tuple(Column(n, t, VIEW_DOCS[view][n], nullable=n not in key)
                                            for n, t in columns), key))
    return found


# --- the formats ----------------------------------------------------------------------------------


def _copy(con: Any, relation: Table, path: Path, options: str, lists_as_json: bool = False) -> None:
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({select_sql(relation, lists_as_json)}) TO '{target}' ({options})")


def _tabular(con: Any, rels: list[Table], folder: Path, fmt: ExportFormat) -> None:
    folder.mkdir()
    for rel in rels:
        path = folder / f"{rel.name}.{fmt.value}"
        if fmt is ExportFormat.parquet:
            _copy(con, rel, path, "FORMAT parquet, COMPRESSION zstd")
        elif fmt is ExportFormat.csv:  # lists as JSON arrays: Table Schema's `array`
            _copy(con, rel, path, "FORMAT csv, HEADER true", lists_as_json=True)
        elif fmt is ExportFormat.json:
            _copy(con, rel, path, "FORMAT json, ARRAY true")
        else:
            _copy(con, rel, path, "FORMAT json")


_SQLITE_TYPE = {"INTEGER": "INTEGER", "BIGINT": "INTEGER", "DOUBLE": "REAL", "BOOLEAN": "INTEGER"}


def sqlite_value(value: Any) -> Any:
    """DuckDB values as SQLite stores them: dates ISO text, lists JSON text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sqlite(con: Any, rels: list[Table], path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        for rel in rels:
            db.execute(ddl(rel, lambda c: _SQLITE_TYPE.get(c.type, "TEXT")))
            marks = ", ".join("?" * len(rel.columns))
            result = con.execute(select_sql(rel))
            while batch := result.fetchmany(10_000):
                db.executemany(f'INSERT INTO "{rel.name}" VALUES ({marks})',
                               ([sqlite_value(v) for v in row] for row in batch))
        db.commit()
    finally:
        db.close()


def _documents(con: Any, folder: Path, formats: Sequence[ExportFormat]) -> int:
    """Whole measures as nested documents (what `show ID --format json` gives), written a chunk
    of measures at a time so that memory stays bounded."""
    from .queries import measure_documents
    from .render import plain

    ids = [r[0] for r in con.execute("SELECT id FROM measures ORDER BY id").fetchall()]
    array = (folder / "json" / f"{DOCUMENTS}.json").open("w", encoding="utf-8") \
        if ExportFormat.json in formats else None
    lines = (folder / "ndjson" / f"{DOCUMENTS}.ndjson").open("w", encoding="utf-8") \
        if ExportFormat.ndjson in formats else None
    try:
        if array:
            array.write("[")
        for start in range(0, len(ids), 1000):
            for n, doc in enumerate(measure_documents(con, ids[start:start + 1000]), start):
                doc = plain(doc)
                if array:
                    array.write(("\n" if n == 0 else ",\n") + json.dumps(doc, ensure_ascii=False))
                if lines:
                    lines.write(json.dumps(doc, ensure_ascii=False) + "\n")
        if array:
            array.write("\n]\n")
    finally:
        for handle in (array, lines):
            if handle:
                handle.close()
    return len(ids)


# --- descriptors ----------------------------------------------------------------------------------


def table_schema_type(duckdb_type: str) -> str:
    """A DuckDB column type as a Table Schema field type."""
    if duckdb_type.endswith("[]"):
        return "array"
    return {"VARCHAR": "string", "DATE": "date", "INTEGER": "integer", "BIGINT": "integer",
            "DOUBLE": "number", "BOOLEAN": "boolean", "JSON": "object"}[duckdb_type]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def datapackage(rels: list[Table], folder: Path, formats: Sequence[ExportFormat], content_hash: str,
                created: dt.datetime) -> dict[str, Any]:
    """The Data Package v2 descriptor: the tables in the first tabular format exported, with types,
    keys and descriptions; the measure documents; hashes of every file described."""
    tabular = next((f for f in TABULAR if f in formats), None)
    resources = []
    for rel in rels if tabular else []:
        path = Path(tabular.value) / f"{rel.name}.{tabular.value}"
        schema: dict[str, Any] = {"fields": [
            {"name": f.name, "type": table_schema_type(f.type), "description": f.doc,
             **({"constraints": {"required": True}} if not f.nullable else {})} for f in rel.columns],
            "primaryKey": list(rel.primary_key)}
        if rel.foreign_keys:
            schema["foreignKeys"] = [{"fields": list(own), "reference": {"resource": other, "fields": list(theirs)}}
                                     for own, other, theirs in rel.foreign_keys]
        if tabular is ExportFormat.csv:
            schema["missingValues"] = [""]
        resources.append({
            "name": rel.name, "type": "table", "path": path.as_posix(), "format": tabular.value,
            "mediatype": {"csv": "text/csv", "parquet": "application/vnd.apache.parquet",
                          "json": "application/json", "ndjson": "application/x-ndjson"}[tabular.value],
            **({"encoding": "utf-8"} if tabular is not ExportFormat.parquet else {}),
            "description": rel.doc, "schema": schema,
            "bytes": (folder / path).stat().st_size, "hash": "sha256:" + _sha256(folder / path)})
    if ExportFormat.json in formats:  # (the NDJSON copy is the same documents, one per line)
        path = Path("json") / f"{DOCUMENTS}.json"
        resources.append({
            "name": DOCUMENTS, "path": path.as_posix(), "format": "json", "mediatype": "application/json",
            "encoding": "utf-8",
            "description": "Whole measures as nested documents, as `sanctions show ID --format json` gives "
                           "them: the record, status history, instruments and sources inlined.",
            "bytes": (folder / path).stat().st_size, "hash": "sha256:" + _sha256(folder / path)})
    if not resources:  # only database files: describe those (the spec asks for one resource at least)
        for fmt, name in DATABASE_FILE.items():
            if fmt in formats:
                resources.append({"name": f"{PACKAGE_NAME}_{fmt.value}", "path": name, "format": fmt.value,
                                  "mediatype": {"duckdb": "application/vnd.duckdb",
                                                "sqlite": "application/vnd.sqlite3"}[fmt.value],
                                  "description": f"Every table as a {fmt.value} database.",
                                  "bytes": (folder / name).stat().st_size,
                                  "hash": "sha256:" + _sha256(folder / name)})
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": PACKAGE_NAME,
        "title": "sanctions: an open, typed, sourced dataset of economic-sanction measures",
        "description": "Economic-sanction measures: who imposed (or threatened, or was asked for) what, "
                       "on whom, affecting which sectors and goods, and when; every fact cites its source "
                       "(the sources and citations tables). Status columns are as of the export's date.",
        "version": __version__,
        "created": created.isoformat(timespec="seconds"),
        "content_hash": content_hash,
        "formats": [f.value for f in formats],
        "licenses": [DATA_LICENCE],
        "sources": [{"title": "Official texts and reports cited per fact: see the sources and citations tables"}],
        "contributors": [{"title": "sanctions contributors", "roles": ["creator"]}],
        "keywords": ["sanctions", "economic sanctions", "trade policy"],
        "resources": resources,
    }


#: datasette facets: what analysts narrow a table by.
FACETS = {
    "measure_overview": ["authority", "type", "status", {"array": "sectors"}, {"array": "targets"}],
    "measures": ["authority", "type", "category"],
    "measure_sectors": ["sector"],
    "events": ["kind"],
    "timeline": ["kind", "authority"],
    "coverage_cells": ["status", "authority", "family"],
}
LABELS = {"measures": "title", "sources": "title", "instruments": "title", "authorities": "name",
          "sectors": "name"}


def datasette_metadata(rels: list[Table], created: dt.datetime, content_hash: str) -> dict[str, Any]:
    """metadata.json for `datasette sanctions.sqlite -m metadata.json`: titles, descriptions,
    licence, source and facets."""
    tables = {}
    for rel in rels:
        entry: dict[str, Any] = {"description": rel.doc, "columns": {f.name: f.doc for f in rel.columns}}
        if rel.name in FACETS:
            entry["facets"] = FACETS[rel.name]
        if rel.name in LABELS:
            entry["label_column"] = LABELS[rel.name]
        tables[rel.name] = entry
    return {
        "title": "sanctions: economic-sanction measures",
        "description": f"Version {__version__}, exported {created.date().isoformat()} "
                       f"(content {content_hash[:19]}). Start with measure_overview.",
        "license": DATA_LICENCE["name"], "license_url": DATA_LICENCE["path"],
        "source": "sanctions dataset (records with a source for every fact)",
        "databases": {"sanctions": {"tables": tables}},
    }


# --- the export -----------------------------------------------------------------------------------


@dataclass
class Exported:
    folder: Path
    formats: list[ExportFormat]
    tables: int
    documents: int


def _target(out: Path, force: bool) -> bool:
    """Whether `out` exists and will be replaced; refuses what must not be touched."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{shown(out)} exists and is not a folder", hint="name a new or empty folder")
    if not out.exists() or not any(out.iterdir()):
        return out.exists()
    if not force:
        raise UsageError(f"{shown(out)} is not empty", hint="name a new or empty folder, or --force to "
                                                           "replace an earlier export")
    if not (out / MARKER).is_file():
        raise UsageError(f"{shown(out)} is not an earlier export (no {MARKER}); --force replaces only those",
                         hint="name a new or empty folder")
    return True


def export(root: Path, out: Path, formats: Sequence[ExportFormat] = tuple(ExportFormat), force: bool = False,
           progress: Callable[[str], None] = lambda _: None, now: dt.datetime | None = None) -> Exported:
    """Write the dataset at `root` to the folder `out` in the given formats."""
    import duckdb

    from . import db
    from .flat_tables import row_batches
    from .validate import load_released

    root = Path(root)
    formats = [f for f in ExportFormat if f in set(formats)] or list(ExportFormat)
    out = Path(out).absolute()
    replace = _target(out, force)
    if not out.parent.is_dir():
        raise UsageError(f"no such folder: {shown(out.parent)}", hint="create it first")
    created = now or dt.datetime.now(dt.timezone.utc)

    progress("reading the dataset")
    dataset = load_released(root)
    content_hash = "sha256:" + content_hash_of(dataset.read)
    work = out.parent / f".{out.name}.export-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        database = work / DATABASE_FILE[ExportFormat.duckdb]
        progress("building the database")
        db.build(database, row_batches(dataset), content_hash, storage=DUCKDB_STORAGE)
        del dataset
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{str(database).replace(chr(39), chr(39) * 2)}' AS dataset (READ_ONLY)")
            con.execute("USE dataset")
            rels = relations(con)
            for fmt in formats:
                if fmt in TABULAR:
                    progress(f"writing {fmt.value}/ ({len(rels)} tables)")
                    _tabular(con, rels, work / fmt.value, fmt)
            documents = _documents(con, work, formats) if {ExportFormat.json, ExportFormat.ndjson} & set(formats) else 0
            if ExportFormat.sqlite in formats:
                progress(f"writing {DATABASE_FILE[ExportFormat.sqlite]}")
                _sqlite(con, rels, work / DATABASE_FILE[ExportFormat.sqlite])
                _write_json(work / "metadata.json", datasette_metadata(rels, created, content_hash))
        finally:
            con.close()
        if ExportFormat.duckdb not in formats:
            database.unlink()
        _write_json(work / MARKER, datapackage(rels, work, formats, content_hash, created))
        _swap(work, out, replace)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Exported(out, formats, len(rels), documents)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _swap(work: Path, out: Path, replace: bool) -> None:
    """Put the finished export in place with renames: `out` is the old export or the new, never half."""
    if not replace:
        os.rename(work, out)
        return
    if not any(out.iterdir()):  # an empty folder: rename over it
        os.replace(work, out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    os.rename(out, old)
    try:
        os.rename(work, out)
    except OSError:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
