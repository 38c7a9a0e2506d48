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

from typing import Any

from . import vocab
from .dataset import Dataset
from .io import format_field
from .lifecycle import EVENT_ORDER, Status, status_on
from .models import PRIMARY_SOURCE_KINDS, Citation


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

    def row(self, **values: Any) -> tuple:
        """A row from values named by column: a missing or unknown name is an error, never a shift."""
        if values.keys() != self._names:
            missing, extra = self._names - values.keys(), values.keys() - self._names
            raise KeyError(f"table {self.name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        return tuple(values[c.name] for c in self.columns)

    @property
    def _names(self) -> set[str]:
        return {c.name for c in self.columns}


def C(name: str, type_: str, doc: str, nullable: bool = True) -> Column:
    return Column(name, type_, doc, nullable)


def K(name: str, type_: str, doc: str) -> Column:
    return Column(name, type_, doc, nullable=False)


TABLES: tuple[Table, ...] = (
    Table("authorities", "States and organisations that impose, request or are targeted by measures.", (
        K("code", "VARCHAR", "ISO 3166-1 alpha-2 code for states, short code for organisations (EU, G7)."),
        K("name", "VARCHAR", "English name."),
        K("kind", "VARCHAR", vocab.AUTHORITY_KINDS.prose() + "."),
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
    Table("aliases", "Other names and codes users may type for authorities and sectors ('UK', 'oil').", (
        K("vocabulary", "VARCHAR", "authorities or sectors."),
        K("alias", "VARCHAR", "The other name, as written in the vocabulary file."),
        K("code", "VARCHAR", "The code it stands for."),
    ), ("vocabulary", "alias")),
    Table("sector_hs", "HS (2022) chapters and headings each goods sector covers.", (
        K("sector", "VARCHAR", "Sector code."),
        K("hs", "VARCHAR", "HS chapter (2 digits) or heading (4 digits)."),
    ), ("sector", "hs"), ((("sector",), "sectors", ("code",)),)),
    Table("measure_types", "The measure-type vocabulary and its broad (GSDB-compatible) category.", (
        K("code", "VARCHAR", "Type code, e.g. import_ban."),
        K("name", "VARCHAR", "English name."),
        K("category", "VARCHAR", vocab.CATEGORIES.prose() + "."),
    ), ("code",)),
    Table("event_kinds", "Lifecycle event kinds, in lifecycle order.", (
        K("code", "VARCHAR", "Event kind, e.g. in_force."),
        K("rank", "INTEGER", "Position in the lifecycle; orders events of one day."),
    ), ("code",)),
    Table("sources", "The source registry: documents that facts were taken from.", (
        K("id", "VARCHAR", "Source ID (file name in data/sources/)."),
        K("kind", "VARCHAR", vocab.SOURCE_KINDS.prose() + "."),
        K("primary_text", "BOOLEAN", "True for legal texts and official statements."),
        K("title", "VARCHAR", "Title of the document."),
        K("publisher", "VARCHAR", "Who published it."),
        C("published", "DATE", "The document's publication date."),
        K("accessed", "DATE", "When it was read."),
        K("url", "VARCHAR", "Where it was read."),
        C("archived_url", "VARCHAR", "An archived copy."),
        C("official_copy_note", "VARCHAR", "For a primary text read in a copy: why the copy stands for "
                                           "the official text."),
        C("language", "VARCHAR", "ISO 639-1 language code."),
        C("note", "VARCHAR", "Editorial note."),
        C("withdrawn", "DATE", "Set when the source was withdrawn."),
        K("record", "JSON", "The whole record as JSON."),
    ), ("id",)),
    Table("citations", "Every citation of the dataset: which fact cites which source, where, with what quote.", (
        K("id", "VARCHAR", "'<record kind>:<record id>:<field>', e.g. 'measure:us-2022-x:events[0]'."),
        K("record_kind", "VARCHAR", vocab.CITING_KINDS.prose() + "."),
        K("record_id", "VARCHAR", "ID of the citing record."),
        K("field", "VARCHAR", "The cited field, e.g. events[0] or goods[2]."),
        K("source_id", "VARCHAR", "The source cited."),
        C("locator", "VARCHAR", "Section, article, paragraph or page in the source."),
        C("quote", "VARCHAR", "A short passage copied from the source."),
    ), ("id",), ((("source_id",), "sources", ("id",)),)),
    Table("instruments", "Legal acts and official documents that made measures.", (
        K("id", "VARCHAR", "Instrument ID (file name in data/instruments/)."),
        K("kind", "VARCHAR", vocab.INSTRUMENT_KINDS.prose() + "."),
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
        K("system", "VARCHAR", vocab.GOODS_SYSTEMS.prose() + "."),
        C("edition", "VARCHAR", "Nomenclature edition."),
        C("description", "VARCHAR", "Description."),
        K("citation_id", "VARCHAR", "Where the code comes from."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("citation_id",), "citations", ("id",)))),
    Table("thresholds", "Value limits that decide which goods a measure covers (e.g. EUR 300 per item).", (
        K("measure_id", "VARCHAR", "The measure."),
        K("position", "INTEGER", "Order within the measure."),
        K("amount", "DOUBLE", "The amount as the text states it."),
        K("currency", "VARCHAR", "ISO 4217 currency code."),
        K("applies_to", "VARCHAR", "What the amount is measured on: 'per item'..."),
        C("goods", "VARCHAR", "The goods it applies to, where not all of the measure's goods."),
        K("citation_id", "VARCHAR", "Where the limit comes from."),
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
        K("kind", "VARCHAR", vocab.EVENT_KINDS.prose() + "."),
        K("date", "DATE", "When it happened."),
        K("date_basis", "VARCHAR", "'occurred', or 'reported' when the date is only the report's."),
        C("actor", "VARCHAR", "Who acted, when not the measure's authority (e.g. UA requesting)."),
        C("instrument_id", "VARCHAR", "The instrument the event is about."),
        C("note", "VARCHAR", "Note."),
        K("citation_id", "VARCHAR", "The event's citation."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("kind",), "event_kinds", ("code",)),
        (("instrument_id",), "instruments", ("id",)), (("citation_id",), "citations", ("id",)))),
    Table("undated_events", "Steps that did happen but whose date no source read gives.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("kind", "VARCHAR", "The event kind, e.g. in_force."),
    ), ("measure_id", "kind"), (
        (("measure_id",), "measures", ("id",)), (("kind",), "event_kinds", ("code",)))),
    Table("links", "Typed links between measures (follows, coordinated_with, implements...).", (
        K("measure_id", "VARCHAR", "The linking measure."),
        K("position", "INTEGER", "Order within the measure."),
        K("relation", "VARCHAR", vocab.LINK_RELATIONS.prose() + "."),
        K("target_id", "VARCHAR", "The linked measure."),
        C("note", "VARCHAR", "Note."),
        C("citation_id", "VARCHAR", "Citation, when the link itself is sourced."),
    ), ("measure_id", "position"), (
        (("measure_id",), "measures", ("id",)), (("target_id",), "measures", ("id",)))),
    Table("coverage_scope", "The scope the dataset claims to cover: one row with the period.", (
        K("period_start", "DATE", "First day of the period covered."),
        K("period_end", "DATE", "Last day of the period covered."),
    ), ("period_start",)),
    Table("coverage_targets", "The targets the coverage claim is about.", (
        K("code", "VARCHAR", "A targeted state."),
    ), ("code",), ((("code",), "authorities", ("code",)),)),
    Table("coverage_families", "Families of measures the coverage claim is made for.", (
        K("code", "VARCHAR", "Family code, e.g. luxury_goods_export_ban."),
        K("name", "VARCHAR", "English name."),
        C("description", "VARCHAR", "What the family covers."),
    ), ("code",)),
    Table("coverage_family_types", "The measure types of each family.", (
        K("family", "VARCHAR", "The family."),
        K("type", "VARCHAR", "A measure type."),
    ), ("family", "type"), (
        (("family",), "coverage_families", ("code",)), (("type",), "measure_types", ("code",)))),
    Table("coverage_family_sectors", "The sectors of each family (none: any sector).", (
        K("family", "VARCHAR", "The family."),
        K("sector", "VARCHAR", "A sector."),
    ), ("family", "sector"), (
        (("family",), "coverage_families", ("code",)), (("sector",), "sectors", ("code",)))),
    Table("coverage", "How complete the dataset is for each family of measures by each authority.", (
        K("family", "VARCHAR", "The family."),
        K("authority", "VARCHAR", "The authority."),
        K("status", "VARCHAR", vocab.COVERAGE_STATUSES.prose() + "."),
        C("note", "VARCHAR", "What the cell holds, what is missing, or what was searched."),
    ), ("family", "authority"), (
        (("family",), "coverage_families", ("code",)), (("authority",), "authorities", ("code",)))),
    Table("status_history", "Each measure's derived status over time: one row per period.", (
        K("measure_id", "VARCHAR", "The measure."),
        K("status", "VARCHAR", vocab.STATUSES.prose() + "."),
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


TABLE = {t.name: t for t in TABLES}


#: Tables whose rows refer to another record of their own kind (a link's target measure, an amended
#: instrument): when records come in batches (row_batches), these rows go in after every batch.
LATE = tuple(t.name for t in TABLES if any(
    parent in ("measures", "instruments") and own not in (("measure_id",), ("instrument_id",))
    for own, parent, _ in t.foreign_keys))
BATCH_ROWS = 25_000  # rows built and inserted at a time (at least; a step may go past it)
STEP = 100  # records whose rows are built at once: a few records can have thousands of rows each


def row_batches(ds: Dataset, rows: int = BATCH_ROWS, step: int = STEP) -> Iterator[Rows]:
    """Every table's rows in parts that each keep the foreign keys (but LATE's) once the earlier
    parts are in: the vocabularies and coverage, then sources, instruments and measures, in parts
    of about `rows` rows (counted in rows, not records: at 100,000 measures, 2,500 records once
    made 430,000 rows). Each record is revived for its part and let go: memory is bounded by a part."""
    yield build_rows(Dataset(ds.root, authorities=ds.authorities, sectors=ds.sectors, coverage=ds.coverage))
    for kind in ("sources", "instruments", "measures"):
        records = getattr(ds, kind)
        ids = sorted(records)
        pending: Rows | None = None
        for start in range(0, len(ids), step):
            part = Dataset(ds.root)
            for ident in ids[start:start + step]:
                getattr(part, kind)[ident] = records.peek(ident)
            built = build_rows(part, vocabularies=False)
            if pending is None:
                pending = built
            else:
                for name, new in built.items():
                    pending[name] += new
            if sum(map(len, pending.values())) >= rows:
                yield pending
                pending = None
        if pending is not None:
            yield pending


def build_rows(ds: Dataset, vocabularies: bool = True) -> Rows:
    """Every table's rows, from a validated dataset, in a stable order; each row built by name.
    Without `vocabularies`, the fixed vocabulary tables (measure types, event kinds) are left out."""
    rows: Rows = {t.name: [] for t in TABLES}

    def add(table: str, **values: Any) -> None:
        rows[table].append(TABLE[table].row(**values))

    def cite(kind: str, rid: str, loc: tuple, c: Citation) -> str:
        field = format_field(loc)
        cid = f"{kind}:{rid}:{field}"
        add("citations", id=cid, record_kind=kind, record_id=rid, field=field, source_id=c.source,
            locator=c.locator, quote=c.quote)
        return cid

    for a in ds.authorities.values():
        add("authorities", code=a.code, name=a.name, kind=a.kind.value)
        for member in a.members:
            add("authority_members", group_code=a.code, member_code=member)
        for alias in dict.fromkeys(a.aliases):
            add("aliases", vocabulary="authorities", alias=alias, code=a.code)
    for sector in ds.sectors.values():
        add("sectors", code=sector.code, name=sector.name, description=sector.description)
        for hs in sector.hs:
            add("sector_hs", sector=sector.code, hs=hs)
        for alias in dict.fromkeys(sector.synonyms):
            add("aliases", vocabulary="sectors", alias=alias, code=sector.code)
    for code, (category, name) in vocab.MEASURE_TYPE_INFO.items() if vocabularies else ():
        add("measure_types", code=code, name=name, category=category)
    for kind, rank in EVENT_ORDER.items() if vocabularies else ():
        add("event_kinds", code=kind.value, rank=rank)
    for sid, s in sorted(ds.sources.items()):
        add("sources", id=sid, kind=s.kind.value, primary_text=s.kind in PRIMARY_SOURCE_KINDS,
            title=s.title, publisher=s.publisher, published=s.published, accessed=s.accessed,
            url=s.url, archived_url=s.archived_url, official_copy_note=s.official_copy_note,
            language=s.language, note=s.note,
            withdrawn=s.withdrawn.date if s.withdrawn else None,
            record=s.model_dump_json(exclude_none=True))
    for iid, i in sorted(ds.instruments.items()):
        add("instruments", id=iid, kind=i.kind.value, authority=i.authority, identifier=i.identifier,
            title=i.title, official_citation=i.official_citation, date=i.date, published=i.published,
            url=i.url, citation_id=cite("instrument", iid, ("citation",), i.citation), notes=i.notes,
            withdrawn=i.withdrawn.date if i.withdrawn else None,
            record=i.model_dump_json(exclude_none=True))
        for code in dict.fromkeys(i.parties):
            add("instrument_parties", instrument_id=iid, code=code)
        for other in dict.fromkeys(i.amends):
            add("instrument_amends", instrument_id=iid, amends_id=other)
    for mid, m in sorted(ds.measures.items()):
        add("measures", id=mid, title=m.title, summary=m.summary, authority=m.authority,
            type=m.type.value, category=vocab.MEASURE_TYPE_INFO[m.type.value][0], notes=m.notes,
            withdrawn=m.withdrawn.date if m.withdrawn else None,
            withdrawn_reason=m.withdrawn.reason if m.withdrawn else None,
            record=m.model_dump_json(exclude_none=True))
        for p, t in enumerate(m.targets):
            add("targets", measure_id=mid, position=p, code=t.code, persons=t.persons)
            for q, e in enumerate(t.entities):
                add("target_entities", measure_id=mid, target_position=p, position=q, name=e.name,
                    note=e.note)
        for sector in dict.fromkeys(m.sectors):
            add("measure_sectors", measure_id=mid, sector=sector)
        for p, g in enumerate(m.goods):
            add("goods", measure_id=mid, position=p, code=g.code, system=g.system.value,
                edition=g.edition, description=g.description,
                citation_id=cite("measure", mid, ("goods", p), g.citation))
        for p, t in enumerate(m.thresholds):
            add("thresholds", measure_id=mid, position=p, amount=float(t.amount), currency=t.currency,
                applies_to=t.applies_to, goods=t.goods,
                citation_id=cite("measure", mid, ("thresholds", p), t.citation))
        provisions: dict[str, str | None] = {}
        for ref in m.instruments:
            provisions.setdefault(ref.instrument, ref.provision)
        for instrument, provision in provisions.items():
            add("measure_instruments", measure_id=mid, instrument_id=instrument, provision=provision)
        for p, e in enumerate(m.events):
            add("events", measure_id=mid, position=p, kind=e.kind.value, date=e.date,
                date_basis=e.date_basis.value, actor=e.actor, instrument_id=e.instrument, note=e.note,
                citation_id=cite("measure", mid, ("events", p), e.citation))
        for kind in dict.fromkeys(m.undated_events):
            add("undated_events", measure_id=mid, kind=kind.value)
        for p, link in enumerate(m.links):
            add("links", measure_id=mid, position=p, relation=link.relation.value, target_id=link.measure,
                note=link.note,
                citation_id=cite("measure", mid, ("links", p), link.citation) if link.citation else None)
        for status, start, end in status_periods(m.events):
            add("status_history", measure_id=mid, status=status.value, valid_from=start, valid_to=end)
    if ds.coverage:
        cov = ds.coverage
        add("coverage_scope", period_start=cov.period.start, period_end=cov.period.end)
        for code in dict.fromkeys(cov.targets):
            add("coverage_targets", code=code)
        for f in cov.families:
            add("coverage_families", code=f.code, name=f.name, description=f.description)
            for t in dict.fromkeys(f.types):
                add("coverage_family_types", family=f.code, type=t.value)
            for sector in dict.fromkeys(f.sectors):
                add("coverage_family_sectors", family=f.code, sector=sector)
        for cell in cov.cells:
            add("coverage", family=cell.family, authority=cell.authority, status=cell.status.value,
                note=cell.note)
    return rows
