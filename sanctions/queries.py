"""Questions asked of the database: filtered measure lists, one measure in full, the timeline,
counts, and sandboxed SQL. Shared by the CLI and the Python API; needs only duckdb.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from .db import EVENT_KINDS
from .errors import QueryError, UsageError

#: lifecycle.Status's values, repeated to keep pydantic off this path (tests keep them equal).
STATUSES = ("requested", "considered", "threatened", "announced", "adopted", "in_force",
            "suspended", "lifted", "expired")

#: Columns of a query result, in order (the JSON contract of `sanctions query`).
MEASURE_COLUMNS = ("id", "title", "authority", "targets", "type", "category", "sectors", "status",
                   *EVENT_KINDS)


@dataclass
class Filters:
    """The filters of `sanctions query`: repeated values of one kind widen, different kinds narrow."""

    sector: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)
    target: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    hs: list[str] = field(default_factory=list)
    in_force_on: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None


def parse_date(text: str | dt.date | None, option: str) -> dt.date | None:
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: '{text}' is not a date", hint="write dates as YYYY-MM-DD") from None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def make_filters(sector=None, authority=None, target=None, type=None, status=None, hs=None,
                 in_force_on=None, date_from=None, date_to=None, search=None) -> Filters:
    """Filters from loose arguments (a string or a list each), with dates parsed."""
    filters = Filters(
        sector=_as_list(sector), authority=[a.upper() for a in _as_list(authority)],
        target=[t.upper() for t in _as_list(target)], type=_as_list(type), status=_as_list(status),
        hs=[h.replace(".", "").strip() for h in _as_list(hs)],
        in_force_on=parse_date(in_force_on, "--in-force-on"),
        date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to"),
        search=search or None)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise UsageError(f"--from {filters.date_from} is after --to {filters.date_to}")
    return filters


def _vocabulary(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(sql).fetchall()]


def _check_codes(option: str, given: list[str], valid: list[str]) -> None:
    for value in given:
        if value not in valid:
            close = difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "valid values: " + ", ".join(valid)
            raise UsageError(f"{option}: unknown value '{value}'", hint=hint)


def check_filters(con: duckdb.DuckDBPyConnection, f: Filters) -> None:
    """Exit-2 errors for codes that are not in the vocabularies, with valid values or a suggestion."""
    _check_codes("--sector", f.sector, _vocabulary(con, "SELECT code FROM sectors ORDER BY code"))
    authorities = _vocabulary(con, "SELECT code FROM authorities ORDER BY code")
    _check_codes("--authority", f.authority, authorities)
    _check_codes("--target", f.target, authorities)
    _check_codes("--type", f.type, _vocabulary(con, "SELECT code FROM measure_types ORDER BY code"))
    _check_codes("--status", f.status, list(STATUSES))
    for code in f.hs:
        if not code.isdigit() or not 2 <= len(code) <= 10:
            raise UsageError(f"--hs: '{code}' is not a goods code", hint="give 2 to 10 digits, e.g. 0302")


def _where(f: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def any_of(sql: str, values: list[Any]) -> None:
        if values:
            clauses.append("(" + " OR ".join([sql] * len(values)) + ")")
            for value in values:
                params.extend([value] * sql.count("?"))

    any_of("o.id IN (SELECT measure_id FROM measure_sectors WHERE sector = ?)", f.sector)
    any_of("o.authority = ?", f.authority)
    any_of("o.id IN (SELECT measure_id FROM targets WHERE code = ?)", f.target)
    any_of("o.type = ?", f.type)
    any_of("o.status = ?", f.status)
    any_of("o.id IN (SELECT measure_id FROM goods WHERE starts_with(code, ?) OR starts_with(?, code)"
           " UNION SELECT s.measure_id FROM measure_sectors s JOIN sector_hs h ON h.sector = s.sector"
           " WHERE starts_with(h.hs, ?) OR starts_with(?, h.hs))", f.hs)
    if f.in_force_on:
        clauses.append("o.id IN (SELECT measure_id FROM status_on(?::DATE) WHERE status = 'in_force')")
        params.append(f.in_force_on)
    if f.date_from or f.date_to:
        clauses.append("o.id IN (SELECT measure_id FROM events WHERE date BETWEEN ? AND ?)")
        params += [f.date_from or dt.date.min, f.date_to or dt.date.max]
    if f.search:
        clauses.append(
            "(o.id || ' ' || o.title || ' ' || coalesce(m.summary, '') || ' ' || coalesce(m.notes, '')"
            " || ' ' || coalesce((SELECT string_agg(coalesce(t.persons, ''), ' ') FROM targets t"
            " WHERE t.measure_id = o.id), '')"
            " || ' ' || coalesce((SELECT string_agg(e.name, ' ') FROM target_entities e"
            " WHERE e.measure_id = o.id), '')) ILIKE ?")
        params.append("%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def measures_sql(f: Filters) -> tuple[str, list[Any]]:
    where, params = _where(f)
    columns = ", ".join(f"o.{c}" for c in MEASURE_COLUMNS)
    sql = (f"SELECT {columns} FROM measure_overview o JOIN measures m ON m.id = o.id{where} "
           "ORDER BY coalesce(o.in_force, o.adopted, o.announced, o.threatened, o.considered, "
           "o.requested, o.published), o.id")
    return sql, params


def select_measures(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[list[str], list[tuple]]:
    check_filters(con, f)
    sql, params = measures_sql(f)
    return list(MEASURE_COLUMNS), con.execute(sql, params).fetchall()


def timeline(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[list[str], list[tuple]]:
    """Events of the selected measures, in date order; --from/--to bound the events themselves."""
    check_filters(con, f)
    sql, params = measures_sql(Filters(**{**f.__dict__, "date_from": None, "date_to": None}))
    columns = ["date", "kind", "measure_id", "authority", "actor", "title", "source_id"]
    rows = con.execute(
        f"SELECT {', '.join('t.' + c for c in columns)} FROM timeline t "
        f"WHERE t.measure_id IN (SELECT id FROM ({sql})) AND t.date BETWEEN ? AND ? "
        "ORDER BY t.date, t.rank, t.measure_id",
        params + [f.date_from or dt.date.min, f.date_to or dt.date.max]).fetchall()
    return columns, rows


def _ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return _vocabulary(con, "SELECT id FROM measures ORDER BY id")


def show(con: duckdb.DuckDBPyConnection, measure_id: str) -> dict[str, Any]:
    """One measure with its status, events, instruments, sources and links (both directions)."""
    row = con.execute("SELECT record, category, withdrawn FROM measures WHERE id = ?",
                      [measure_id]).fetchone()
    if row is None:
        ids = _ids(con)
        close = difflib.get_close_matches(measure_id, ids, n=3, cutoff=0.5)
        hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else \
            "list IDs with `sanctions query`"
        raise UsageError(f"no measure with id '{measure_id}'", hint=hint)
    record = json.loads(row[0])
    status = con.execute("SELECT status FROM measure_status WHERE measure_id = ?", [measure_id]).fetchone()
    history = con.execute(
        "SELECT status, valid_from, valid_to FROM status_history WHERE measure_id = ? ORDER BY valid_from",
        [measure_id]).fetchall()
    instruments = con.execute(
        "SELECT i.record, mi.provision FROM measure_instruments mi JOIN instruments i ON i.id = mi.instrument_id"
        " WHERE mi.measure_id = ? ORDER BY i.date NULLS LAST, i.id", [measure_id]).fetchall()
    sources = con.execute(
        "SELECT s.record FROM sources s WHERE s.id IN ("
        " SELECT source_id FROM citations WHERE record_kind = 'measure' AND record_id = ?"
        " UNION SELECT c.source_id FROM citations c JOIN instruments i ON c.id = i.citation_id"
        "  WHERE i.id IN (SELECT instrument_id FROM measure_instruments WHERE measure_id = ?"
        "                 UNION SELECT instrument_id FROM events WHERE measure_id = ?))"
        " ORDER BY s.published NULLS LAST, s.id", [measure_id] * 3).fetchall()
    linked_from = con.execute(
        "SELECT l.measure_id, l.relation FROM links l WHERE l.target_id = ? ORDER BY 1, 2",
        [measure_id]).fetchall()
    return {
        "id": measure_id,
        "status": status[0] if status else None,
        "category": row[1],
        "withdrawn": row[2].isoformat() if row[2] else None,
        "status_history": [{"status": s, "from": a.isoformat(), "to": b.isoformat() if b else None}
                           for s, a, b in history],
        "measure": record,
        "instruments": [{**json.loads(r), **({"provision": p} if p else {})} for r, p in instruments],
        "sources": [json.loads(r) for (r,) in sources],
        "linked_from": [{"measure": m, "relation": r} for m, r in linked_from],
    }


def stats(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts of records and of measures by authority, type, category, status and sector."""
    def count(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    def by(sql: str) -> dict[str, int]:
        return {str(k): v for k, v in con.execute(sql).fetchall()}

    return {
        "measures": count("SELECT count(*) FROM measure_overview"),
        "withdrawn": count("SELECT count(*) FROM measures WHERE withdrawn IS NOT NULL"),
        "events": count("SELECT count(*) FROM timeline"),
        "instruments": count("SELECT count(*) FROM instruments"),
        "sources": count("SELECT count(*) FROM sources"),
        "citations": count("SELECT count(*) FROM citations"),
        "by_authority": by("SELECT authority, count(*) FROM measure_overview GROUP BY 1 ORDER BY 2 DESC, 1"),
        "by_type": by("SELECT type, count(*) FROM measure_overview GROUP BY 1 ORDER BY 2 DESC, 1"),
        "by_category": by("SELECT category, count(*) FROM measure_overview GROUP BY 1 ORDER BY 2 DESC, 1"),
        "by_status": by("SELECT coalesce(status, 'none'), count(*) FROM measure_overview GROUP BY 1 ORDER BY 2 DESC, 1"),
        "by_sector": by("SELECT s.sector, count(*) FROM measure_sectors s JOIN measure_overview o ON o.id = s.measure_id"
                        " GROUP BY 1 ORDER BY 2 DESC, 1"),
        "first_event": _iso(con.execute("SELECT min(date) FROM timeline").fetchone()[0]),
        "last_event": _iso(con.execute("SELECT max(date) FROM timeline").fetchone()[0]),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def run_sql(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """One read-only SELECT on the sandboxed connection; anything else is refused."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_one_line(exc)) from None
    if len(statements) != 1:
        raise UsageError(f"give exactly one SQL statement (got {len(statements)})")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise UsageError(f"only SELECT queries are allowed, not {kind.name}",
                         hint="the database is read-only; tables: `sanctions sql \"SHOW TABLES\"`"
                         if kind.name != "SELECT" else None)
    try:
        result = con.execute(sql)
        columns = [d[0] for d in result.description]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        raise QueryError(_one_line(exc)) from None


def _one_line(exc: Exception) -> str:
    """DuckDB's message on one line, without the source excerpt it appends after 'LINE n:'."""
    text = str(exc).split("\nLINE ")[0]
    return " ".join(text.split())
