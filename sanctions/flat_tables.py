"""The dataset as flat, normalised tables: one spec (names, types, keys, documentation) and the
rows derived from validated records.

The spec is the single place where the SQL layout is described: db.py creates tables, keys and
column comments from it, frames.py checks the pandas copies against it, and the README's table
reference is written from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from .dataset import Dataset
from .io import format_field
from .lifecycle import EVENT_ORDER, Status, status_on
from .models import MEASURE_TYPES, PRIMARY_SOURCE_KINDS, Citation


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def C(name: str, type_: str, doc: str, nullable: bool = True) -> Column:
    return Column(name, type_, doc, nullable)


def K(name: str, type_: str, doc: str) -> Column:
    return Column(name, type_, doc, nullable=False)


TABLES: tuple[Table, ...] = (
    Table("authorities", "States and organisations that impose, request or are targeted by measures.", (
        K("code", "VARCHAR", "ISO 3166-1 alpha-2 code for states, short code for organisations (EU, G7)."),
        K("name", "VARCHAR", "English name."),
        K("kind", "VARCHAR", "state, organisation or group."),
    ), ("code",)),
    Table("authority_members", "Members of groups such as the G7.", (
        K("group_code", "VARCHAR", "The group."),
        K("member_code", "VARCHAR", "One of its members."),
    ), ("group_code", "member_code"), (
        (("group_code",), "authorities", ("code",)), (("member_code",), "authorities", ("code",)))),
    Table("sectors", "The sector vocabulary.", (
        K("code", "VARCHAR", "Sector code, e.g. seafood."),
        K("name", "VARCHAR", "English name."),
        C("description", "VARCHAR", "What the sector covers."),
    ), ("code",)),
    Table("sector_hs", "HS (2022) chapters and headings each goods sector covers.", (
        K("sector", "VARCHAR", "Sector code."),
        K("hs", "VARCHAR", "HS chapter (2 digits) or heading (4 digits)."),
    ), ("sector", "hs"), ((("sector",), "sectors", ("code",)),)),
    Table("measure_types", "The measure-type vocabulary and its broad (GSDB-compatible) category.", (
        K("code", "VARCHAR", "Type code, e.g. import_ban."),
        K("name", "VARCHAR", "English name."),
        K("category", "VARCHAR", "trade, financial, travel, arms, military or other."),
    ), ("code",)),
    Table("event_kinds", "Lifecycle event kinds, in lifecycle order.", (
        K("code", "VARCHAR", "Event kind, e.g. in_force."),
        K("rank", "INTEGER", "Position in the lifecycle; orders events of one day."),
    ), ("code",)),
    Table("sources", "The source registry: documents that facts were taken from.", (
        K("id", "VARCHAR", "Source ID (file name in data/sources/)."),
        K("kind", "VARCHAR", "legal_text, official_statement, press_release, news or analysis."),
        K("primary_text", "BOOLEAN", "True for legal texts and official statements."),
        K("title", "VARCHAR", "Title of the document."),
        K("publisher", "VARCHAR", "Who published it."),
        C("published", "DATE", "The document's publication date."),
        K("accessed", "DATE", "When it was read."),
        K("url", "VARCHAR", "Where it was read."),
        C("archived_url", "VARCHAR", "An archived copy."),
        C("language", "VARCHAR", "ISO 639-1 language code."),
        C("note", "VARCHAR", "Editorial note."),
        C("withdrawn", "DATE", "Set when the source was withdrawn."),
        K("record", "JSON", "The whole record as JSON."),
    ), ("id",)),
    Table("citations", "Every citation of the dataset: which fact cites which source, where, with what quote.", (
        K("id", "VARCHAR", "'<record kind>:<record id>:<field>', e.g. 'measure:us-2022-x:events[0]'."),
        K("record_kind", "VARCHAR", "measure or instrument."),
        K("record_id", "VARCHAR", "ID of the citing record."),
        K("field", "VARCHAR", "The cited field, e.g. events[0] or goods[2]."),
        K("source_id", "VARCHAR", "The source cited."),
        C("locator", "VARCHAR", "Section, article, paragraph or page in the source."),
        C("quote", "VARCHAR", "A short passage copied from the source."),
    ), ("id",), ((("source_id",), "sources", ("id",)),)),
    Table("instruments", "Legal acts and official documents that made measures.", (
        K("id", "VARCHAR", "Instrument ID (file name in data/instruments/)."),
        K("kind", "VARCHAR", "executive_order, statute, regulation, general_licence, leaders_statement..."),
        K("authority", "VARCHAR", "Who issued it."),
        K("identifier", "VARCHAR", "Its own name: 'Executive Order 14068', 'Council Regulation (EU) 2022/345'."),
        C("title", "VARCHAR", "Title."),
        C("official_citation", "VARCHAR", "E.g. '87 FR 14381', 'OJ L 63, 2.3.2022'."),
        C("date", "DATE", "Signed, adopted or issued; NULL when no source gives it."),
        C("published", "DATE", "Official publication date."),
        C("url", "VARCHAR", "Canonical official address."),
        K("citation_id", "VARCHAR", "Citation of the instrument's text."),
        C("notes", "VARCHAR", "Editorial notes."),
        C("withdrawn", "DATE", "Set when the record was withdrawn."),
        K("record", "JSON", "The whole record as JSON."),
    ), ("id",), ((("authority",), "authorities", ("code",)), (("citation_id",), "citations", ("id",)))),
    Table("instrument_parties", "The other states and organisations party to a joint act.", (
        K("instrument_id", "VARCHAR", "The instrument."),
        K("code", "VARCHAR", "A party besides the instrument's authority."),
    ), ("instrument_id", "code"), (
        (("instrument_id",), "instruments", ("id",)), (("code",), "authorities", ("code",)))),
    Table("instrument_amends", "Which instrument amends which.", (
        K("instrument_id", "VARCHAR", "The amending instrument."),
        K("amends_id", "VARCHAR", "The instrument it amends."),
    ), ("instrument_id", "amends_id"), (
        (("instrument_id",), "instruments", ("id",)), (("amends_id",), "instruments", ("id",)))),
    Table("measures", "One row per measure: one effect by one authority.", (
        K("id", "VARCHAR", "Measure ID (file name in data/measures/); stable, never reused."),
        K("title", "VARCHAR", "Short title."),
        C("summary", "VARCHAR", "Longer description."),
        K("authority", "VARCHAR", "Who imposed, or would impose, the measure."),
        K("type", "VARCHAR", "Measure type (see measure_types)."),
        K("category", "VARCHAR", "Broad category of the type."),
        C("notes", "VARCHAR", "Editorial notes: scope, what could not be confirmed."),
        C("withdrawn", "DATE", "Set when the record was withdrawn; withdrawn measures are left out of the views."),
        C("withdrawn_reason", "VARCHAR", "Why it was withdrawn."),
        K("record", "JSON", "The whole record as JSON."),
    ), ("id",), ((("authority",), "authorities", ("code",)), (("type",), "measure_types", ("code",)))),
    Table("targets", "Who each measure targets: a state or organisation, optionally narrowed to persons.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("position", "INTEGER", "Order within the measure, from 0."),
        K("code", "VARCHAR", "Targeted state or organisation."),
        C("persons", "VARCHAR", "A class of persons, e.g. 'Russian oligarchs and their family members'."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("code",), "authorities", ("code",)))),
    Table("target_entities", "Named entities (banks, persons) a target lists.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("target_position", "INTEGER", "The target within the measure."),
        K("position", "INTEGER", "Order within the target, from 0."),
        K("name", "VARCHAR", "Name as written in the source."),
        C("note", "VARCHAR", "Note."),
    ), ("measure_id", "target_position", "position"), (
        (("measure_id", "target_position"), "targets", ("measure_id", "position")),)),
    Table("measure_sectors", "Sectors each measure affects.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("sector", "VARCHAR", "Sector code."),
    ), ("measure_id", "sector"), (
        (("measure_id",), "measures", ("id",)), (("sector",), "sectors", ("code",)))),
    Table("goods", "Exact goods codes each measure lists, with their nomenclature.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("position", "INTEGER", "Order within the measure."),
        K("code", "VARCHAR", "Goods code, digits only."),
        K("system", "VARCHAR", "HS, HTSUS, CN or ScheduleB."),
        C("edition", "VARCHAR", "Nomenclature edition."),
        C("description", "VARCHAR", "Description."),
        K("citation_id", "VARCHAR", "Where the code comes from."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("citation_id",), "citations", ("id",)))),
    Table("measure_instruments", "The instruments that make each measure.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("instrument_id", "VARCHAR", "The instrument."),
        C("provision", "VARCHAR", "Article or section, e.g. 'Sec. 1(a)(i)'."),
    ), ("measure_id", "instrument_id"), (
        (("measure_id",), "measures", ("id",)), (("instrument_id",), "instruments", ("id",)))),
    Table("events", "Dated lifecycle events of each measure, each with its citation.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("position", "INTEGER", "Order in the file, from 0."),
        K("kind", "VARCHAR", "requested, considered, threatened, announced, adopted, published, in_force, ..."),
        K("date", "DATE", "When it happened."),
        K("date_basis", "VARCHAR", "'occurred', or 'reported' when the date is only the report's."),
        C("actor", "VARCHAR", "Who acted, when not the measure's authority (e.g. UA requesting)."),
        C("instrument_id", "VARCHAR", "The instrument the event is about."),
        C("note", "VARCHAR", "Note."),
        K("citation_id", "VARCHAR", "The event's citation."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("kind",), "event_kinds", ("code",)),
        (("instrument_id",), "instruments", ("id",)), (("citation_id",), "citations", ("id",)))),
    Table("links", "Typed links between measures (follows, coordinated_with, implements...).", (
        K("measure_id", "VARCHAR", "The linking measure."),
        K("position", "INTEGER", "Order within the measure."),
        K("relation", "VARCHAR", "implements, amends, extends, supersedes, coordinated_with or follows."),
        K("target_id", "VARCHAR", "The linked measure."),
        C("note", "VARCHAR", "Note."),
        C("citation_id", "VARCHAR", "Citation, when the link itself is sourced."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("target_id",), "measures", ("id",)))),
    Table("status_history", "Each measure's derived status over time: one row per period.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("status", "VARCHAR", "requested, considered, threatened, announced, adopted, in_force, suspended, lifted or expired."),
        K("valid_from", "DATE", "First day of the period."),
        C("valid_to", "DATE", "First day after the period; NULL while it lasts."),
    ), ("measure_id", "valid_from"), ((("measure_id",), "measures", ("id",)),)),
)

Rows = dict[str, list[tuple]]


def status_periods(events) -> Iterator[tuple[Status, dt.date, dt.date | None]]:
    """(status, from, to) periods, consistent with lifecycle.status_on on every day."""
    days = sorted({e.date for e in events})
    periods: list[list] = []
    for day in days:
        status = status_on(events, day)
        if status is None:
            continue
        if periods and periods[-1][0] == status:
            continue
        if periods:
            periods[-1][2] = day
        periods.append([status, day, None])
    for status, start, end in periods:
        yield status, start, end


def build_rows(ds: Dataset) -> Rows:
    """Every table's rows, from a validated dataset, in a stable order."""
    rows: Rows = {t.name: [] for t in TABLES}

    def cite(kind: str, rid: str, loc: tuple, c: Citation) -> str:
        cid = f"{kind}:{rid}:{format_field(loc)}"
        rows["citations"].append((cid, kind, rid, format_field(loc), c.source, c.locator, c.quote))
        return cid

    for a in ds.authorities.values():
        rows["authorities"].append((a.code, a.name, a.kind.value))
        rows["authority_members"] += [(a.code, m) for m in a.members]
    for s in ds.sectors.values():
        rows["sectors"].append((s.code, s.name, s.description))
        rows["sector_hs"] += [(s.code, hs) for hs in s.hs]
    for t, (category, name) in MEASURE_TYPES.items():
        rows["measure_types"].append((t.value, name, category.value))
    for kind, rank in EVENT_ORDER.items():
        rows["event_kinds"].append((kind.value, rank))
    for sid, s in sorted(ds.sources.items()):
        rows["sources"].append((
            sid, s.kind.value, s.kind in PRIMARY_SOURCE_KINDS, s.title,
            s.publisher, s.published, s.accessed, s.url, s.archived_url, s.language, s.note,
            s.withdrawn.date if s.withdrawn else None, s.model_dump_json(exclude_none=True)))
    for iid, i in sorted(ds.instruments.items()):
        cid = cite("instrument", iid, ("citation",), i.citation)
        rows["instruments"].append((
            iid, i.kind.value, i.authority, i.identifier, i.title, i.official_citation, i.date,
            i.published, i.url, cid, i.notes, i.withdrawn.date if i.withdrawn else None,
            i.model_dump_json(exclude_none=True)))
        rows["instrument_parties"] += [(iid, code) for code in dict.fromkeys(i.parties)]
        rows["instrument_amends"] += [(iid, other) for other in dict.fromkeys(i.amends)]
    for mid, m in sorted(ds.measures.items()):
        category = MEASURE_TYPES[m.type][0].value
        rows["measures"].append((
            mid, m.title, m.summary, m.authority, m.type.value, category, m.notes,
            m.withdrawn.date if m.withdrawn else None, m.withdrawn.reason if m.withdrawn else None,
            m.model_dump_json(exclude_none=True)))
        for p, t in enumerate(m.targets):
            rows["targets"].append((mid, p, t.code, t.persons))
            rows["target_entities"] += [(mid, p, q, e.name, e.note) for q, e in enumerate(t.entities)]
        rows["measure_sectors"] += [(mid, s) for s in dict.fromkeys(m.sectors)]
        for p, g in enumerate(m.goods):
            cid = cite("measure", mid, ("goods", p), g.citation)
            rows["goods"].append((mid, p, g.code, g.system.value, g.edition, g.description, cid))
        seen_instruments = {}
        for ref in m.instruments:
            seen_instruments.setdefault(ref.instrument, ref.provision)
        rows["measure_instruments"] += [(mid, i, prov) for i, prov in seen_instruments.items()]
        for p, e in enumerate(m.events):
            cid = cite("measure", mid, ("events", p), e.citation)
            rows["events"].append((mid, p, e.kind.value, e.date, e.date_basis.value, e.actor,
                                   e.instrument, e.note, cid))
        for p, link in enumerate(m.links):
            cid = cite("measure", mid, ("links", p), link.citation) if link.citation else None
            rows["links"].append((mid, p, link.relation.value, link.measure, link.note, cid))
        for status, start, end in status_periods(m.events):
            rows["status_history"].append((mid, status.value, start, end))
    return rows

