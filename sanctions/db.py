"""The DuckDB database: tables with keys and comments, views and macros for the common questions,
and the read-only, sandboxed connection that every reader gets.

Building needs the typed records (flat_tables.py); opening needs only duckdb, so warm commands stay fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from . import vocab
from .limits import BUILD_MEMORY, SQL_MEMORY

#: No files, network, extensions or settings changes for whoever holds a connection; bounded memory.
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "memory_limit": SQL_MEMORY,
    "lock_configuration": True,
}

EVENT_KINDS = vocab.EVENT_KINDS.codes
BEFORE_IN_FORCE = ", ".join(f"'{s}'" for s in vocab.BEFORE_IN_FORCE)  # (as SQL)
_FIRST_DATES = ",\n    ".join(f"min(date) FILTER (WHERE kind = '{k}') AS {k}" for k in EVENT_KINDS)

_MEASURE_DOCS = {
    "id": "Measure ID.", "title": "Short title.", "authority": "Who imposed it.",
    "targets": "Targeted codes.", "type": "Measure type.", "category": "Broad category.",
    "sectors": "Sector codes.", "status": "Status today (derived from the events).",
    **{k: f"First date of a {k} event." for k in EVENT_KINDS},
    "undated_events": "Steps that happened on a date no source gives.",
}

#: Column documentation of the views (tables document theirs in flat_tables.TABLES).
VIEW_DOCS: dict[str, dict[str, str]] = {
    "measure_summary": {k: v for k, v in _MEASURE_DOCS.items() if k != "status"},
    "measure_overview": _MEASURE_DOCS,
    "measure_status": {"measure_id": "Measure ID.", "status": "Status today."},
    "timeline": {
        "date": "Date of the event.", "kind": "Event kind.", "measure_id": "Measure ID.",
        "title": "The measure's title.", "authority": "The measure's authority.",
        "actor": "Who acted, when not the authority (e.g. UA requesting).",
        "date_basis": "What the date rests on, when not the text itself.",
        "instrument_id": "The instrument that dates the event, if any.",
        "source_id": "The source cited for the event.", "source_url": "That source's URL.",
        "locator": "Where in the source.", "quote": "The words the fact rests on.",
        "rank": "Lifecycle rank of the kind (event_kinds.rank).",
        "position": "Position of the event in the measure's list."},
    "coverage_cells": {
        "family": "Family of measures.", "authority": "Authority.",
        "status": "complete, partial or none_found.",
        "measures": "IDs of the current measures the cell holds (derived).",
        "note": "For readers: what is missing, or what was searched."},
    "measure_search": {"id": "Measure ID.", "text": "The text --search looks in."},
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_comments(views: tuple[str, ...] | None = None) -> str:
    return "\n".join(f'COMMENT ON COLUMN {view}."{column}" IS {_quote(doc)};'
                      for view, docs in VIEW_DOCS.items() if views is None or view in views
                      for column, doc in docs.items())


def _summary(only: str = "") -> str:
    """The rows of measure_summary; with `only` (an SQL test of a measure ID, e.g. "IN (...)"),
    those of these measures alone, each table read only for them."""
    def where(column: str, word: str = "WHERE") -> str:
        return f"{word} {column} {only}" if only else ""

    return f"""
WITH
  first_dates AS (SELECT measure_id,
    {_FIRST_DATES}
    FROM events {where('measure_id')} GROUP BY measure_id),
  target_codes AS (SELECT measure_id, list(DISTINCT code ORDER BY code) AS targets
                   FROM targets {where('measure_id')} GROUP BY measure_id),
  sector_codes AS (SELECT measure_id, list(sector ORDER BY sector) AS sectors
                   FROM measure_sectors {where('measure_id')} GROUP BY measure_id),
  undated AS (SELECT u.measure_id, list(u.kind ORDER BY k.rank) AS undated_events
              FROM undated_events u JOIN event_kinds k ON k.code = u.kind {where('u.measure_id')}
              GROUP BY u.measure_id)
SELECT m.id, m.title, m.authority, t.targets, m.type, m.category, s.sectors,
       {", ".join(f"d.{k}" for k in EVENT_KINDS)}, coalesce(u.undated_events, []) AS undated_events
FROM measures m
LEFT JOIN undated u ON u.measure_id = m.id
LEFT JOIN first_dates d ON d.measure_id = m.id
LEFT JOIN target_codes t ON t.measure_id = m.id
LEFT JOIN sector_codes s ON s.measure_id = m.id
WHERE m.withdrawn IS NULL {where('m.id', 'AND')}
ORDER BY m.id"""


def update_summary(con: duckdb.DuckDBPyConnection, only: str) -> None:
    """measure_summary's rows for the measures whose IDs pass `only` (after an update in place)."""
    con.execute(f"DELETE FROM measure_summary WHERE id {only}")
    con.execute(f"INSERT INTO measure_summary {_summary(only)}")


SUMMARY = f"""
CREATE TABLE measure_summary AS {_summary()};
COMMENT ON TABLE measure_summary IS 'Built once: one row per current measure with its targets, sectors, first date of each kind of event and undated events (measure_overview adds the status today).';
"""

VIEWS = f"""
CREATE MACRO status_on(day) AS TABLE
  SELECT h.measure_id, h.status
  FROM status_history h JOIN measures m ON m.id = h.measure_id
  WHERE m.withdrawn IS NULL AND h.valid_from <= day AND (h.valid_to IS NULL OR day < h.valid_to);
COMMENT ON MACRO TABLE status_on IS 'Each current measure''s status on a date: SELECT * FROM status_on(DATE ''2022-06-01'').';

CREATE MACRO in_force_on(day) AS TABLE
  SELECT m.* FROM measures m JOIN status_on(day) s ON s.measure_id = m.id WHERE s.status = 'in_force';
COMMENT ON MACRO TABLE in_force_on IS 'Measures in force on a date: SELECT id, title FROM in_force_on(DATE ''2022-06-01'').';

{SUMMARY}
CREATE VIEW measure_overview AS
SELECT s.id, s.title, s.authority, s.targets, s.type, s.category, s.sectors,
       CASE WHEN h.status IN ({BEFORE_IN_FORCE})
             AND list_contains(s.undated_events, 'in_force') THEN 'in_force' ELSE h.status END AS status,
       {", ".join(f"s.{k}" for k in EVENT_KINDS)}, s.undated_events
FROM measure_summary s
LEFT JOIN status_history h ON h.measure_id = s.id
     AND h.valid_from <= current_date AND (h.valid_to IS NULL OR current_date < h.valid_to);
COMMENT ON VIEW measure_overview IS 'One row per current measure: targets, sectors, status today, the first date of each kind of event, and the steps known to have happened on no known date (undated_events).';

CREATE VIEW measure_status AS SELECT id AS measure_id, status FROM measure_overview WHERE status IS NOT NULL;
COMMENT ON VIEW measure_status IS 'Each current measure''s status today: in_force also when it entered into force on a date no source gives (undated_events).';

CREATE VIEW timeline AS
SELECT e.date, e.kind, e.measure_id, m.title, m.authority, e.actor, e.date_basis, e.instrument_id,
       c.source_id, s.url AS source_url, c.locator, c.quote, k.rank, e.position
FROM events e
JOIN measures m ON m.id = e.measure_id
JOIN event_kinds k ON k.code = e.kind
JOIN citations c ON c.id = e.citation_id
JOIN sources s ON s.id = c.source_id
WHERE m.withdrawn IS NULL
ORDER BY e.date, k.rank, e.measure_id, c.source_id, e.position;
COMMENT ON VIEW timeline IS 'Every event of every current measure with its source, in order: date, lifecycle rank, measure, source.';

CREATE VIEW coverage_cells AS
SELECT c.family, c.authority, c.status,
  coalesce((SELECT list(m.id ORDER BY m.id) FROM measures m
    WHERE m.withdrawn IS NULL AND m.authority = c.authority
      AND m.type IN (SELECT type FROM coverage_family_types t WHERE t.family = c.family)
      AND (NOT EXISTS (SELECT 1 FROM coverage_family_sectors s WHERE s.family = c.family)
           OR m.id IN (SELECT ms.measure_id FROM measure_sectors ms JOIN coverage_family_sectors s
                       ON s.sector = ms.sector WHERE s.family = c.family))
      AND m.id IN (SELECT measure_id FROM targets WHERE code IN (SELECT code FROM coverage_targets))
      AND m.id IN (SELECT measure_id FROM events, coverage_scope p
                   WHERE date BETWEEN p.period_start AND p.period_end)), []) AS measures,
  c.note
FROM coverage c
JOIN coverage_families f ON f.code = c.family
ORDER BY f.rowid, c.rowid;
COMMENT ON VIEW coverage_cells IS 'The declared coverage, one row per family and authority, with the measures each cell holds (derived from the records).';

CREATE VIEW measure_search AS
SELECT m.id, concat_ws(' ', m.id, m.title, m.summary, m.notes,
  (SELECT string_agg(t.persons, ' ') FROM targets t WHERE t.measure_id = m.id),
  (SELECT string_agg(e.name, ' ') FROM target_entities e WHERE e.measure_id = m.id)) AS text
FROM measures m WHERE m.withdrawn IS NULL;
COMMENT ON VIEW measure_search IS 'The text --search looks in: ID, title, summary, notes, target persons and named entities.';

CREATE MACRO hs_overlaps(a, b) AS starts_with(a, b) OR starts_with(b, a);
COMMENT ON MACRO hs_overlaps IS 'Whether two HS-based codes overlap: one is a chapter, heading or subheading of the other.';

CREATE MACRO goods_match(code) AS TABLE
  SELECT measure_id, 'goods' AS via, g.code AS matched FROM goods g
  WHERE hs_overlaps(g.code, code)
  UNION ALL
  SELECT s.measure_id, 'sector' AS via, h.hs AS matched
  FROM measure_sectors s JOIN sector_hs h ON h.sector = s.sector
  WHERE hs_overlaps(h.hs, code);
COMMENT ON MACRO TABLE goods_match IS 'Measures whose goods match an HS-based code: via = ''goods'' (the measure''s own codes) or ''sector'' (its sectors'' HS mapping).';
"""


def ddl(table: Any, type_of: Any = lambda column: column.type) -> str:
    """CREATE TABLE for a table of the layout, with keys; `type_of` maps types for other engines."""
    cols = [f'  "{c.name}" {type_of(c)}{"" if c.nullable else " NOT NULL"}' for c in table.columns]
    cols.append(f"  PRIMARY KEY ({', '.join(table.primary_key)})")
    for own, other, theirs in table.foreign_keys:
        cols.append(f"  FOREIGN KEY ({', '.join(own)}) REFERENCES {other} ({', '.join(theirs)})")
    return f"CREATE TABLE {table.name} (\n" + ",\n".join(cols) + "\n)"


CHUNK = 20_000  # rows converted to a DataFrame at a time


FEW = 2_000  # rows that an update in place inserts directly: pandas, and its memory, not loaded
FEW_AT_ONCE = 500  # rows to an INSERT statement


def insert_few(con: duckdb.DuckDBPyConnection, table: Any, table_rows: list[tuple]) -> None:
    """Rows into a table, directly: for a few rows, quicker than loading pandas; many rows to a
    statement (one statement per row took 0.2 s for the 300 rows of 12 measures)."""
    if len(table_rows) > FEW:
        insert(con, table, table_rows)
        return
    row = f"({', '.join('?' * len(table.columns))})"
    for start in range(0, len(table_rows), FEW_AT_ONCE):
        part = table_rows[start:start + FEW_AT_ONCE]
        con.execute(f"INSERT INTO {table.name} VALUES {', '.join([row] * len(part))}",
                    [value for values in part for value in values])


def insert(con: duckdb.DuckDBPyConnection, table: Any, table_rows: list[tuple]) -> None:
    """Rows into a table, in chunks (bounded memory), through pandas: far faster than executemany."""
    import pandas as pd

    for start in range(0, len(table_rows), CHUNK):
        frame = pd.DataFrame.from_records(table_rows[start:start + CHUNK], columns=table.column_names)
        con.register("incoming", frame)
        con.execute(f"INSERT INTO {table.name} SELECT * FROM incoming")
        con.unregister("incoming")


def _populate(con: duckdb.DuckDBPyConnection, batches: Iterable[dict[str, list[tuple]]]) -> None:
    from .flat_tables import LATE, TABLE, TABLES

    for table in TABLES:
        con.execute(ddl(table))
        con.execute(f"COMMENT ON TABLE {table.name} IS {_quote(table.doc)}")
        for column in table.columns:
            con.execute(f'COMMENT ON COLUMN {table.name}."{column.name}" IS {_quote(column.doc)}')
    late: dict[str, list[tuple]] = {name: [] for name in LATE}
    for rows in batches:
        for table in TABLES:
            if table.name in late:
                late[table.name] += rows[table.name]
            else:
                insert(con, table, rows[table.name])
            rows[table.name] = []  # each table's rows are released as soon as they are in
    for name, table_rows in late.items():
        insert(con, TABLE[name], table_rows)
    con.execute(VIEWS)
    con.execute(_view_comments())


def build(path: Path, batches: Iterable[dict[str, list[tuple]]], key: str, storage: str = "") -> None:
    """Create the database file at `path` (which must not exist) from batches of table rows
    (flat_tables.row_batches, or one build_rows), which it consumes: each table's list is released
    once inserted, to bound memory. `storage` holds ATTACH options (an older storage version, a
    block size) for files other DuckDB releases must open."""
    con = duckdb.connect(config={"memory_limit": BUILD_MEMORY})
    try:
        con.execute(f"ATTACH {_quote(str(path))} AS dataset{f' ({storage})' if storage else ''}")
        con.execute("USE dataset")
        _populate(con, batches)
        con.execute("CREATE TABLE dataset_meta (key VARCHAR NOT NULL)")
        con.execute("COMMENT ON TABLE dataset_meta IS 'The cache key of this build (internal).'")
        con.execute("COMMENT ON COLUMN dataset_meta.key IS 'Hash of the code and of the bytes read.'")
        con.execute("INSERT INTO dataset_meta VALUES (?)", [key])
        con.execute("CHECKPOINT dataset")
    finally:
        con.close()


def open_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True, config=dict(SANDBOX))
