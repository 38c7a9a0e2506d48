"""Questions asked of the database: filtered measure lists, any record in full, the timeline,
counts and the declared coverage. Shared by the CLI and the Python API; needs only duckdb.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from . import filters, json_rows, vocab
from .codes import Lookup
from .db import BEFORE_IN_FORCE, EVENT_KINDS
from .errors import UsageError
from .filters import Selection

#: Columns of a query result, in order (the JSON contract of `sanctions query`).
MEASURE_COLUMNS = ("id", "title", "authority", "targets", "type", "category", "sectors", "status",
                   *EVENT_KINDS, "undated_events")
#: With --hs: how each measure matched, 'goods' (its own codes) or 'sector' (its sectors' HS).
HS_MATCH = "hs_match"
TIMELINE_COLUMNS = ("date", "kind", "measure_id", "authority", "actor", "source_id", "title")


def _column(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    return [row[0] for row in con.execute(sql, params or []).fetchall()]


class Lookups:
    """The vocabularies filters are checked against, built from the database on first use."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.made: dict[str, Lookup] = {}

    def __call__(self, label: str) -> Lookup:
        if label not in self.made:
            self.made[label] = self._make(label)
        return self.made[label]

    def _aliases(self, vocabulary: str) -> dict[str, str]:
        return dict(self.con.execute("SELECT alias, code FROM aliases WHERE vocabulary = ?",
                                     [vocabulary]).fetchall())

    def _make(self, label: str) -> Lookup:
        if label == "authorities":
            rows = self.con.execute("SELECT code, name FROM authorities ORDER BY code").fetchall()
            return Lookup("authority", [c for c, _ in rows], countries=True,
                          names={**{n: c for c, n in rows}, **self._aliases("authorities")})
        if label == "sectors":
            rows = self.con.execute("SELECT code, name FROM sectors ORDER BY code").fetchall()
            return Lookup("sector", [c for c, _ in rows], names={n: c for c, n in rows},
                          synonyms=self._aliases("sectors"))
        if label == "measure_types":
            return Lookup("type", list(vocab.MEASURE_TYPES),
                          names={name: code for code, (_, name) in vocab.MEASURE_TYPE_INFO.items()})
        if label == "statuses":
            return Lookup("status", list(vocab.STATUSES))
        return Lookup(label[:-1], _column(self.con, f"SELECT id FROM {label} ORDER BY id"))


def select(con: duckdb.DuckDBPyConnection, given: dict[str, Any]) -> Selection:
    """Check the given filters against this database's vocabularies."""
    return filters.check(given, Lookups(con))


@dataclass(frozen=True)
class Asked:
    """A question whose answer is rows: its columns, named SQL expressions, and the rest of its
    SELECT (FROM … ORDER BY …). Asked for the rows, or for their JSON as DuckDB writes it."""

    columns: tuple[tuple[str, str], ...]
    rest: str
    params: tuple[Any, ...] = ()

    @property
    def sql(self) -> str:
        return "SELECT " + ", ".join(f'{e} AS "{n.replace(chr(34), 2 * chr(34))}"'
                                     for n, e in self.columns) + self.rest

    def rows(self, con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
        return [n for n, _ in self.columns], con.execute(self.sql, list(self.params)).fetchall()

    def json(self, con: duckdb.DuckDBPyConnection) -> bytes | None:
        """The rows as render writes them in JSON, in UTF-8, by DuckDB (json_rows); None where it
        cannot."""
        kinds = [str(t) for t in con.sql(self.sql, params=list(self.params)).types]
        select = json_rows.select([(n, e, k) for (n, e), k in zip(self.columns, kinds, strict=True)])
        if select is None:
            return None
        return json_rows.text(_column(con, f"SELECT {select}{self.rest}", list(self.params)))


def measures(s: Selection) -> Asked:
    """The selected measures, one row each (MEASURE_COLUMNS, and with --hs how each matched)."""
    where, params = filters.where(s)
    columns = [(c, f"o.{c}") for c in MEASURE_COLUMNS]
    if s["hs"]:
        matches = " UNION ALL ".join(["SELECT via FROM goods_match(?) WHERE measure_id = o.id"] * len(s["hs"]))
        columns.append((HS_MATCH, "(SELECT CASE WHEN bool_or(via = 'goods') THEN 'goods' ELSE 'sector' END "
                                  f"FROM ({matches}))"))
        params = list(s["hs"]) + params
    rest = (f" FROM measure_overview o{where} "
            "ORDER BY coalesce(o.in_force, o.adopted, o.announced, o.threatened, o.considered, "
            "o.requested, o.published), o.id")
    return Asked(tuple(columns), rest, tuple(params))


def measures_sql(s: Selection) -> tuple[str, list[Any]]:
    asked = measures(s)
    return asked.sql, list(asked.params)


def select_measures(con: duckdb.DuckDBPyConnection, s: Selection) -> tuple[list[str], list[tuple]]:
    return measures(s).rows(con)


def events(s: Selection) -> Asked:
    """Events of the selected measures in a fixed order (date, lifecycle, measure, source);
    --from/--to bound the events themselves."""
    sql, params = measures_sql(s.without("date_from", "date_to"))
    return Asked(tuple((c, f"t.{c}") for c in TIMELINE_COLUMNS),
                 f" FROM timeline t WHERE t.measure_id IN (SELECT id FROM ({sql}))"
                 " AND t.date BETWEEN ? AND ? ORDER BY t.date, t.rank, t.measure_id, t.source_id, t.position",
                 (*params, s["date_from"] or dt.date.min, s["date_to"] or dt.date.max))


REGISTRIES = ("measures", "instruments", "sources")


def show(con: duckdb.DuckDBPyConnection, record_id: str) -> dict[str, Any]:
    """Any record by ID, with what it refers to and what refers to it."""
    for registry in REGISTRIES:
        if con.execute(f"SELECT 1 FROM {registry} WHERE id = ?", [record_id]).fetchone():
            return {"measures": _measure, "instruments": _instrument, "sources": _source}[registry](
                con, record_id)
    ids = _column(con, " UNION ALL ".join(f"SELECT id FROM {r}" for r in REGISTRIES))
    close = difflib.get_close_matches(record_id, ids, n=3, cutoff=0.5)
    hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else \
        "list measure IDs with `sanctions query`"
    raise UsageError(f"no measure, instrument or source with id '{record_id}'", hint=hint)


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r) for r in _column(con, sql, params)]


def _measure(con: duckdb.DuckDBPyConnection, measure_id: str) -> dict[str, Any]:
    return measure_documents(con, [measure_id])[0]


def _grouped(con: duckdb.DuckDBPyConnection, sql: str, ids: list[str]) -> dict[str, list[tuple]]:
    """Rows of `sql` (measure ID first, in order) grouped by measure."""
    out: dict[str, list[tuple]] = {}
    for row in con.execute(sql, [ids]).fetchall():
        out.setdefault(row[0], []).append(row[1:])
    return out


def measure_documents(con: duckdb.DuckDBPyConnection, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Measures with their status, events, instruments, sources and links (both directions): what
    `show` prints and what the export writes, built in a few queries for any number of measures."""
    if ids is None:
        ids = _column(con, "SELECT id FROM measures ORDER BY id")
    base = {r[0]: r[1:] for r in con.execute(
        "SELECT m.id, m.record, m.category, m.withdrawn, s.status FROM measures m"
        " LEFT JOIN measure_status s ON s.measure_id = m.id WHERE m.id IN (SELECT unnest(?))", [ids]).fetchall()}
    history = _grouped(con, "SELECT measure_id, status, valid_from, valid_to FROM status_history"
                            " WHERE measure_id IN (SELECT unnest(?)) ORDER BY measure_id, valid_from", ids)
    instruments = _grouped(con,
        "SELECT mi.measure_id, i.record, mi.provision FROM measure_instruments mi"
        " JOIN instruments i ON i.id = mi.instrument_id WHERE mi.measure_id IN (SELECT unnest(?))"
        " ORDER BY mi.measure_id, i.date NULLS LAST, i.id", ids)
    sources = _cited_sources(con, ids)
    linked_from = _grouped(con, "SELECT target_id, measure_id, relation FROM links"
                                " WHERE target_id IN (SELECT unnest(?)) ORDER BY 1, 2, 3", ids)
    return [{
        "record_kind": "measure",
        "id": measure_id,
        "status": base[measure_id][3],
        "category": base[measure_id][1],
        "withdrawn": base[measure_id][2],
        "status_history": [{"status": s, "from": a, "to": b} for s, a, b in history.get(measure_id, [])],
        "measure": json.loads(base[measure_id][0]),
        "instruments": [{**json.loads(r), **({"provision": p} if p else {})}
                        for r, p in instruments.get(measure_id, [])],
        "sources": [json.loads(r) for r in sources.get(measure_id, [])],
        "linked_from": [{"measure": m, "relation": r} for m, r in linked_from.get(measure_id, [])],
    } for measure_id in ids]


def _cited_sources(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[str]]:
    """The records of the sources each measure cites, itself or through its instruments, by date
    published (undated last), then ID. In steps that each look up a few keys: one query joining
    the 700,000 citations of 100,000 measures took 30 ms for a single measure."""
    cited: dict[str, set[str]] = {}
    for measure_id, source_id in con.execute(
            "SELECT record_id, source_id FROM citations WHERE record_kind = 'measure'"
            " AND record_id IN (SELECT unnest(?))", [ids]).fetchall():
        cited.setdefault(measure_id, set()).add(source_id)
    through = con.execute(
        "SELECT measure_id, instrument_id FROM measure_instruments WHERE measure_id IN (SELECT unnest(?))"
        " UNION SELECT measure_id, instrument_id FROM events"
        " WHERE instrument_id IS NOT NULL AND measure_id IN (SELECT unnest(?))", [ids, ids]).fetchall()
    source_of = dict(con.execute(
        "SELECT i.id, c.source_id FROM instruments i JOIN citations c ON c.id = i.citation_id"
        " WHERE i.id IN (SELECT unnest(?))", [sorted({i for _, i in through})]).fetchall())
    for measure_id, instrument_id in through:
        if instrument_id in source_of:
            cited.setdefault(measure_id, set()).add(source_of[instrument_id])
    records = dict(con.execute(  # (in the order shown: a dict keeps it)
        "SELECT id, record FROM sources WHERE id IN (SELECT unnest(?)) ORDER BY published NULLS LAST, id",
        [sorted(set().union(*cited.values()))]).fetchall())
    order = {sid: n for n, sid in enumerate(records)}
    return {measure_id: [records[s] for s in sorted(sources & order.keys(), key=order.__getitem__)]
            for measure_id, sources in cited.items()}


def _instrument(con: duckdb.DuckDBPyConnection, instrument_id: str) -> dict[str, Any]:
    """An instrument, the measures it makes or changes, and the acts it amends or is amended by."""
    measures = con.execute(
        "SELECT m.id, m.title, mi.provision, mi.measure_id IS NOT NULL,"
        " coalesce((SELECT list(e.kind ORDER BY e.date, k.rank) FROM events e"
        "           JOIN event_kinds k ON k.code = e.kind"
        "           WHERE e.measure_id = m.id AND e.instrument_id = ?), [])"
        " FROM measures m LEFT JOIN measure_instruments mi ON mi.measure_id = m.id AND mi.instrument_id = ?"
        " WHERE mi.instrument_id IS NOT NULL"
        "    OR m.id IN (SELECT measure_id FROM events WHERE instrument_id = ?) ORDER BY m.id",
        [instrument_id] * 3).fetchall()
    return {
        "record_kind": "instrument",
        "id": instrument_id,
        "instrument": json.loads(_column(con, "SELECT record FROM instruments WHERE id = ?",
                                         [instrument_id])[0]),
        "measures": [{"id": i, "title": t, "provision": p, "makes": makes, "events": kinds}
                     for i, t, p, makes, kinds in measures],
        "amends": _column(con, "SELECT amends_id FROM instrument_amends WHERE instrument_id = ? ORDER BY 1",
                          [instrument_id]),
        "amended_by": _column(con, "SELECT instrument_id FROM instrument_amends WHERE amends_id = ? ORDER BY 1",
                              [instrument_id]),
        "sources": _records(con, "SELECT s.record FROM sources s JOIN citations c ON c.source_id = s.id"
                                 " JOIN instruments i ON i.citation_id = c.id WHERE i.id = ?", [instrument_id]),
    }


def _source(con: duckdb.DuckDBPyConnection, source_id: str) -> dict[str, Any]:
    """A source and every fact that cites it."""
    cited_by = con.execute(
        "SELECT record_kind, record_id, field, locator, quote FROM citations WHERE source_id = ?"
        " ORDER BY record_kind DESC, record_id, field", [source_id]).fetchall()
    return {
        "record_kind": "source",
        "id": source_id,
        "source": json.loads(_column(con, "SELECT record FROM sources WHERE id = ?", [source_id])[0]),
        "cited_by": [{"record_kind": k, "record_id": r, "field": f, "locator": loc, "quote": q}
                     for k, r, f, loc, q in cited_by],
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


COVERAGE_COLUMNS = ("family", "authority", "status", "measures", "note")


def coverage(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple], str]:
    """The declared coverage, one row per family and authority, and a line describing the scope."""
    rows = con.execute(f"SELECT {', '.join(COVERAGE_COLUMNS)} FROM coverage_cells").fetchall()
    scope = con.execute("SELECT period_start, period_end FROM coverage_scope").fetchone()
    targets = _column(con, "SELECT code FROM coverage_targets ORDER BY code")
    line = (f"measures on {', '.join(targets)} taken from {scope[0]} to {scope[1]}" if scope
            else "this dataset declares no coverage")
    return list(COVERAGE_COLUMNS), rows, line


GRID_MARKS = {"complete": "C", "partial": "P", "none_found": "N"}
GRID_LEGEND = ("C complete, P partial (the note says what is missing), N none found (the note says "
               "what was searched); the number counts the measures recorded. Notes: --format json or csv.")


def coverage_grid(rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    """Coverage rows as a family × authority grid of marks and counts, for people."""
    authorities = list(dict.fromkeys(a for _, a, *_ in rows))
    cells = {(f, a): f"{GRID_MARKS[st]}{len(ms) or ''}" for f, a, st, ms, _ in rows}
    families = list(dict.fromkeys(f for f, *_ in rows))
    return ["family", *authorities], [(f, *(cells.get((f, a), "") for a in authorities)) for f in families]


def scope_note(con: duckdb.DuckDBPyConnection, s: Selection) -> str | None:
    """When filters reach beyond what the dataset claims to cover completely, say where.

    Without filters of kind (sector, type) or of who (authority, target) nothing is claimed, and
    nothing is said. A family is concerned when its types and sectors meet those filters; a cell
    that is not complete is named; dates outside the period and values no family covers too.
    """
    if not any(s[k] for k in ("sector", "type", "hs", "authority", "target")):
        return None
    scope = con.execute("SELECT period_start, period_end FROM coverage_scope").fetchone()
    if scope is None:
        return "this dataset declares no coverage: a short answer may mean a measure is not recorded"
    outside: list[str] = []
    families = con.execute(
        "SELECT f.code, list(DISTINCT t.type), coalesce(list(DISTINCT s.sector) FILTER (s.sector IS NOT NULL), [])"
        " FROM coverage_families f JOIN coverage_family_types t ON t.family = f.code"
        " LEFT JOIN coverage_family_sectors s ON s.family = f.code GROUP BY f.code").fetchall()
    covered_types = {t for _, types, _ in families for t in types}
    covered_sectors = {x for _, _, sectors in families for x in sectors}
    outside += [f"--type {t}" for t in s["type"] if t not in covered_types]
    outside += [f"--sector {x}" for x in s["sector"] if x not in covered_sectors]
    authorities = set(_column(con, "SELECT authority FROM coverage"))
    outside += [f"--authority {a}" for a in s["authority"] if a not in authorities]
    targets = set(_column(con, "SELECT code FROM coverage_targets"))
    outside += [f"--target {t}" for t in s["target"] if t not in targets]
    for key, option in (("in_force_on", "--in-force-on"), ("date_from", "--from"), ("date_to", "--to")):
        day = s[key]
        if day and not scope[0] <= day <= scope[1]:
            outside.append(f"{option} {day}")
    # The families a query concerns: those whose types and sectors meet its filters (--hs stands
    # for the sectors whose HS mapping overlaps its codes).
    sectors = set(s["sector"]) or (set(_column(
        con, "SELECT DISTINCT h.sector FROM sector_hs h, unnest(?::VARCHAR[]) c(code) "
             "WHERE hs_overlaps(h.hs, c.code)", [list(s["hs"])])) if s["hs"] else None)
    if s["hs"] and not s["sector"] and not sectors & covered_sectors:
        outside += [f"--hs {code}" for code in s["hs"]]
    concerned = {code for code, types, family_sectors in families
                 if (not s["type"] or set(s["type"]) & set(types))
                 and (sectors is None or sectors & set(family_sectors))}
    partial = [f"{family} by {authority}" for family, authority in con.execute(
        "SELECT family, authority FROM coverage WHERE status = 'partial' ORDER BY family, authority")
        .fetchall() if family in concerned and (not s["authority"] or authority in s["authority"])]
    parts = []
    if outside:
        parts.append("outside the declared coverage: " + ", ".join(outside))
    if partial:
        parts.append("coverage is partial for " + ", ".join(partial[:4])
                     + (f" and {len(partial) - 4} more" if len(partial) > 4 else ""))
    if not parts:
        return None
    return "note: " + "; ".join(parts) + " (see `sanctions coverage`)"


def undated_note(con: duckdb.DuckDBPyConnection, s: Selection) -> str | None:
    """With --in-force-on: the measures left out because their entry into force has no date."""
    if not s["in_force_on"]:
        return None
    sql, params = measures_sql(s.without("in_force_on"))
    ids = _column(con,
        f"SELECT id FROM ({sql}) m WHERE list_contains(m.undated_events, 'in_force')"
        f" AND m.id IN (SELECT measure_id FROM status_on(?::DATE) WHERE status IN ({BEFORE_IN_FORCE}))"
        " ORDER BY id", params + [s["in_force_on"]])
    if not ids:
        return None
    return (f"note: {len(ids)} measure{'s' * (len(ids) > 1)} adopted by {s['in_force_on']} entered into "
            f"force on a date no source gives and {'are' if len(ids) > 1 else 'is'} not listed: "
            + ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else ""))
