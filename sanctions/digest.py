"""What the rules across records need of each record, and nothing more: IDs it refers to, with
where; the few fields that other records' rules compare. Plain tuples, built once per file read
and kept with its facts, so that after an edit the rules across records run over these instead of
every record's model (a hundredth of the objects to load).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from .models import PRIMARY_SOURCE_KINDS, EventKind, Instrument, Measure, Source
from .record_checks import counts_as_primary

Loc = tuple


class MeasureDigest(NamedTuple):
    withdrawn: bool
    in_force: bool                                   # any in_force event
    authority: str
    type: str
    sectors: tuple[str, ...]
    targets: tuple[str, ...]                         # target codes
    dates: tuple[dt.date, ...]                       # every event's date
    citations: tuple[tuple[Loc, str], ...]           # (field path of the citation, source ID)
    instruments: tuple[str, ...]                     # instruments[i].instrument
    events: tuple[tuple[str, dt.date, str | None], ...]  # (kind, date, instrument) of events[i]
    links: tuple[tuple[str, str], ...]               # (relation, measure) of links[i]


class SourceDigest(NamedTuple):
    withdrawn: bool
    url: str
    accessed: dt.date
    primary_kind: bool                               # of a kind that can be a primary text
    primary: bool                                    # counts as a primary text (record_checks)


class InstrumentDigest(NamedTuple):
    withdrawn: bool
    source: str                                      # the source its citation cites
    amends: tuple[str, ...]
    date: dt.date | None
    published: dt.date | None


def measure_digest(m: Measure) -> MeasureDigest:
    citations = [(("events", i, "citation"), e.citation.source) for i, e in enumerate(m.events)]
    citations += [(("goods", i, "citation"), g.citation.source) for i, g in enumerate(m.goods)]
    citations += [(("thresholds", i, "citation"), t.citation.source) for i, t in enumerate(m.thresholds)]
    citations += [(("links", i, "citation"), link.citation.source) for i, link in enumerate(m.links)
                  if link.citation]
    return MeasureDigest(
        m.withdrawn is not None, any(e.kind is EventKind.in_force for e in m.events), m.authority,
        getattr(m.type, "value", m.type), tuple(m.sectors), tuple(t.code for t in m.targets), tuple(e.date for e in m.events),
        tuple(citations), tuple(ref.instrument for ref in m.instruments),
        tuple((e.kind.value, e.date, e.instrument) for e in m.events),
        tuple((link.relation.value, link.measure) for link in m.links))


def source_digest(s: Source, hosts: dict | None) -> SourceDigest:
    return SourceDigest(s.withdrawn is not None, s.url, s.accessed, s.kind in PRIMARY_SOURCE_KINDS,
                        counts_as_primary(s, hosts))


def instrument_digest(i: Instrument) -> InstrumentDigest:
    return InstrumentDigest(i.withdrawn is not None, i.citation.source, tuple(i.amends), i.date, i.published)


def digest_of(kind: str, record: Any, hosts: dict | None) -> tuple:
    if kind == "measures":
        return measure_digest(record)
    if kind == "sources":
        return source_digest(record, hosts)
    return instrument_digest(record)
