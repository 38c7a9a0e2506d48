"""The query filters, declared once.

Each Filter below generates a CLI option of `query`, `timeline` and `plot`, a keyword of
`sanctions.query()`, its check (codes resolved through codes.py, IDs looked up, dates exactly
YYYY-MM-DD) and its SQL. Values of one filter widen (OR); different filters narrow (AND).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import vocab
from .codes import Lookup, UnknownCode
from .errors import UsageError


@dataclass(frozen=True)
class Filter:
    key: str
    """The keyword of sanctions.query() and the CLI parameter."""
    option: str
    metavar: str
    help: str
    kind: str
    """code (a vocabulary), id (a record), hs, date or text."""
    sql: str | None
    """A condition on the measure `o` (measure_overview), with one ? per occurrence of the value."""
    vocabulary: str | None = None
    many: bool = True
    """Whether the option may be repeated (values widen)."""


_CITES = ("o.id IN (SELECT record_id FROM citations WHERE record_kind = 'measure' AND source_id = ?"
          " UNION SELECT r.measure_id FROM citations c JOIN instruments i ON i.citation_id = c.id"
          " JOIN (SELECT measure_id, instrument_id FROM measure_instruments UNION"
          "       SELECT measure_id, instrument_id FROM events WHERE instrument_id IS NOT NULL) r"
          " ON r.instrument_id = i.id WHERE c.source_id = ?)")

#: The fields --search looks in (documented in the README and in --help).
SEARCHED = "ID, title, summary, notes, target persons and named entities"

FILTERS: tuple[Filter, ...] = (
    Filter("sector", "--sector", "CODE", "Sector, e.g. seafood, energy.", "code",
           "o.id IN (SELECT measure_id FROM measure_sectors WHERE sector = ?)", "sectors"),
    Filter("authority", "--authority", "CODE", "Who imposed it: US, EU, GB (or a name: 'United Kingdom').",
           "code", "o.authority = ?", "authorities"),
    Filter("target", "--target", "CODE", "Targeted state or organisation: RU, BY (or a name).", "code",
           "o.id IN (SELECT measure_id FROM targets WHERE code = ?)", "authorities"),
    Filter("type", "--type", "CODE", "Measure type, e.g. import_ban.", "code", "o.type = ?",
           "measure_types"),
    Filter("status", "--status", "CODE", "Status today: " + ", ".join(vocab.STATUSES) + ".", "code",
           "o.status = ?", "statuses"),
    Filter("hs", "--hs", "CODE",
           "Goods code (HS chapter, heading...), e.g. 0302: the measure's own codes or its sectors'.",
           "hs", "o.id IN (SELECT measure_id FROM goods_match(?))"),
    Filter("instrument", "--instrument", "ID", "Made or changed by this instrument, e.g. us-eo-14068.",
           "id", "o.id IN (SELECT measure_id FROM measure_instruments WHERE instrument_id = ?"
                 " UNION SELECT measure_id FROM events WHERE instrument_id = ?)", "instruments"),
    Filter("actor", "--actor", "CODE",
           "Someone other than the authority acted: requested, threatened... (e.g. UA).", "code",
           "o.id IN (SELECT measure_id FROM events WHERE actor = ?)", "authorities"),
    Filter("source", "--source", "ID", "Cites this source, itself or through its instruments.", "id",
           _CITES, "sources"),
    Filter("in_force_on", "--in-force-on", "DATE", "In force on this day (YYYY-MM-DD).", "date",
           "o.id IN (SELECT measure_id FROM status_on(?::DATE) WHERE status = 'in_force')", many=False),
    Filter("date_from", "--from", "DATE", "With an event on or after this day (YYYY-MM-DD).", "date",
           None, many=False),
    Filter("date_to", "--to", "DATE", "With an event on or before this day (YYYY-MM-DD).", "date",
           None, many=False),
    Filter("search", "--search", "TEXT", f"Literal text (any case) in the {SEARCHED}.", "text",
           "o.id IN (SELECT id FROM measure_search WHERE text ILIKE ? ESCAPE '\\')", many=False),
)
BY_KEY = {f.key: f for f in FILTERS}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: Any, option: str) -> dt.date:
    """Exactly YYYY-MM-DD, with a message that says what is wrong."""
    if isinstance(text, dt.datetime):
        raise UsageError(f"{option}: give a date, not a date and time")
    if isinstance(text, dt.date):
        return text
    text = str(text)
    if not _DATE.match(text):
        raise UsageError(f"{option}: '{text}' is not a date", hint="write dates as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: '{text}': no such day", hint="write dates as YYYY-MM-DD") from None


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | dt.date):
        return [value]
    return list(value)


@dataclass(frozen=True)
class Selection:
    """Checked filter values, by key: lists for repeatable filters, one value or None otherwise."""

    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def describe(self) -> str:
        """The filters as the user would type them: for 'no measures match …'."""
        parts = []
        for f in FILTERS:
            for value in _values(self.values[f.key]):
                shown = value.isoformat() if isinstance(value, dt.date) else str(value)
                parts.append(f"{f.option} {shown}" if re.fullmatch(r"[\w.:-]+", shown) else
                             f"{f.option} '{shown}'")
        return " ".join(parts)

    def without(self, *keys: str) -> Selection:
        return Selection({**self.values, **{k: None if not BY_KEY[k].many else [] for k in keys}})


def check(given: dict[str, Any], lookups: Callable[[str], Lookup]) -> Selection:
    """The given filters (CLI options or API keywords) checked and put in canonical form."""
    unknown = [k for k in given if k not in BY_KEY]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(BY_KEY), n=1)
        raise UsageError(f"unknown filter '{unknown[0]}'",
                         hint=f"did you mean '{close[0]}'?" if close else
                         "filters: " + ", ".join(BY_KEY))
    values: dict[str, Any] = {}
    for f in FILTERS:
        raw = _values(given.get(f.key))
        if len(raw) > 1 and not f.many:
            raise UsageError(f"{f.option} takes one value (got {len(raw)})")
        checked = [_check(f, value, lookups) for value in raw]
        values[f.key] = list(dict.fromkeys(checked)) if f.many else (checked[0] if checked else None)
    start, end = values["date_from"], values["date_to"]
    if start and end and start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    return Selection(values)


def _check(f: Filter, value: Any, lookups: Callable[[str], Lookup]) -> Any:
    if f.kind == "date":
        return parse_date(value, f.option)
    text = str(value)
    if f.kind == "text":
        if not text:
            raise UsageError(f"{f.option}: give some text")
        return text
    if f.kind == "hs":
        code = re.sub(r"[.\s]", "", text)
        if not code.isdigit() or not 2 <= len(code) <= 10:
            raise UsageError(f"{f.option}: '{text}' is not a goods code",
                             hint="give 2 to 10 digits, e.g. 0302")
        return code
    try:
        return lookups(f.vocabulary or "").resolve(text)
    except UnknownCode as exc:
        what = "unknown value" if f.kind == "code" else f"no {f.vocabulary[:-1]} with id"
        raise UsageError(f"{f.option}: {what} '{text}'", hint=exc.hint) from None


def where(s: Selection) -> tuple[str, list[Any]]:
    """The WHERE clause (on measure_overview `o`) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for f in FILTERS:
        values = _values(s[f.key])
        if not values or f.sql is None:
            continue
        if f.kind == "text":
            values = ["%" + re.sub(r"([\\%_])", r"\\\1", v) + "%" for v in values]
        clauses.append("(" + " OR ".join([f.sql] * len(values)) + ")")
        for value in values:
            params.extend([value] * f.sql.count("?"))
    if s["date_from"] or s["date_to"]:
        clauses.append("o.id IN (SELECT measure_id FROM events WHERE date BETWEEN ? AND ?)")
        params += [s["date_from"] or dt.date.min, s["date_to"] or dt.date.max]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
