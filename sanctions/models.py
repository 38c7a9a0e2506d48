"""The record model: the single source of the schema.

Every record kind (measure, source, instrument, the two vocabularies) is a pydantic model with
closed vocabularies and `extra="forbid"`: an unknown field or code fails loudly instead of turning
silently into None. Models hold shape only; rules that need other records live in checks.py, so the
committed JSON Schemas and these models accept exactly the same documents.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from . import vocab

SCHEMA_VERSION = "1.0"

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,9}$"
VOCAB_PATTERN = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
# http(s), a host without user:password@, then anything without spaces.
URL_PATTERN = r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$"
# A lower-case DNS name with at least two labels (IDNs in their xn-- form): no scheme, port or path.
HOST_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=2, max_length=80)]
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
VocabCode = Annotated[str, StringConstraints(pattern=VOCAB_PATTERN, max_length=40)]
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2000)]
Host = Annotated[str, StringConstraints(pattern=HOST_PATTERN, max_length=253)]
UrlPath = Annotated[str, StringConstraints(pattern=r"^/\S*$", max_length=300)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Quote = Annotated[str, StringConstraints(min_length=1, max_length=300)]
HsCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}(?:[0-9]{2}){0,4}$")]
Date = dt.date


class Record(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        use_attribute_docstrings=True,
        regex_engine="python-re",  # the same regex semantics as jsonschema's
    )


# --- vocabularies fixed in code (vocab.py; changing them is a schema change) -------------------


def _enum(vocabulary: vocab.Vocabulary) -> Any:
    made = StrEnum(vocabulary.enum, [(code, code) for code in vocabulary.codes], module=__name__)
    made.__doc__ = vocabulary.doc
    return made


EventKind = _enum(vocab.EVENT_KINDS)
DateBasis = _enum(vocab.DATE_BASES)
Category = _enum(vocab.CATEGORIES)
MeasureType = _enum(vocab.MEASURE_TYPES)
InstrumentKind = _enum(vocab.INSTRUMENT_KINDS)
SourceKind = _enum(vocab.SOURCE_KINDS)
LinkRelation = _enum(vocab.LINK_RELATIONS)
GoodsSystem = _enum(vocab.GOODS_SYSTEMS)
AuthorityKind = _enum(vocab.AUTHORITY_KINDS)
CoverageStatus = _enum(vocab.COVERAGE_STATUSES)

PRIMARY_SOURCE_KINDS = frozenset(SourceKind(k) for k in vocab.PRIMARY_SOURCE_KINDS)


SchemaVersion = Literal["1.0"]


# --- the parts of records ----------------------------------------------------------------------


class Citation(Record):
    """A fact's link to the source it was taken from."""

    source: RecordId
    """ID of the source in data/sources/."""
    locator: Text | None = None
    """Where in the source: section, article, paragraph or page."""
    quote: Quote | None = None
    """One short passage copied exactly from the source (at most 300 characters)."""


class Entity(Record):
    """A named person, bank or company targeted by a measure."""

    name: Text
    """The name as the instrument or source writes it."""
    note: Text | None = None


class Target(Record):
    """Who a measure is aimed at: a state or organisation, optionally narrowed to persons or entities."""

    code: Code
    """A code from data/vocabularies/authorities.yaml (ISO 3166-1 alpha-2 for states)."""
    persons: Text | None = None
    """A class of persons, e.g. 'Russian oligarchs and their family members'."""
    entities: list[Entity] = []
    """Named entities, e.g. the banks listed in an annex."""


class Goods(Record):
    """One goods code a measure applies to, as its instrument or official guidance lists it."""

    code: HsCode
    """Digits only: 2 (chapter), 4 (heading), 6 (subheading), or up to 10 for national codes."""
    system: GoodsSystem = GoodsSystem.HS
    """Nomenclature: HS, HTSUS (US tariff schedule), CN (EU Combined Nomenclature), ScheduleB (US
    exports), UKGT (UK tariff commodity codes), national (another HS-based national tariff: name
    it in `edition`)."""
    edition: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    """The nomenclature's edition, e.g. '2022', when the source states it."""
    description: Text | None = None
    citation: Citation


class Threshold(Record):
    """A value limit that decides which goods a measure covers (e.g. EUR 300 per item)."""

    amount: Annotated[float, Field(gt=0, allow_inf_nan=False)] | Annotated[int, Field(gt=0)]
    """The amount as the text states it."""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    """ISO 4217 currency code, e.g. 'EUR'."""
    applies_to: Text
    """What the amount is measured on, in the text's words: 'per item', 'per consignment'."""
    goods: Text | None = None
    """The goods the limit applies to, where not all of the measure's goods."""
    citation: Citation


class InstrumentRef(Record):
    """A legal act that makes (part of) this measure."""

    instrument: RecordId
    """ID of the instrument in data/instruments/."""
    provision: Text | None = None
    """The article or section that holds this measure, e.g. 'Sec. 1(a)(i)'."""


class Event(Record):
    """A dated step in a measure's lifecycle, citing its source."""

    kind: EventKind
    date: Date
    """The day it happened (YYYY-MM-DD)."""
    date_basis: DateBasis = DateBasis.occurred
    """'reported' when the date is only that of the report that told of it."""
    actor: Code | None = None
    """Who did it, when not the measure's authority (e.g. UA requesting a US measure)."""
    instrument: RecordId | None = None
    """The instrument this event is about (signed, published, entered into force)."""
    note: LongText | None = None
    citation: Citation


class Link(Record):
    """A typed link to another measure."""

    relation: LinkRelation
    measure: RecordId
    """ID of the other measure."""
    note: LongText | None = None
    citation: Citation | None = None


class Withdrawal(Record):
    """Why a record no longer counts. Records are never deleted, so IDs are never reused."""

    date: Date
    reason: LongText


# --- the records -------------------------------------------------------------------------------


class Registered(Record):
    """What every file of a registry (measures, sources, instruments) starts with."""

    schema_version: SchemaVersion
    """Version of the record format this file follows."""
    id: RecordId
    """Stable identifier, equal to the file name; never reused."""


class Measure(Registered):
    """One distinct effect that one authority imposed, threatened or was asked for."""

    title: Text
    summary: LongText | None = None
    authority: Code
    """Who imposed (or would impose) the measure: a code from authorities.yaml."""
    targets: Annotated[list[Target], Field(min_length=1)]
    type: MeasureType
    sectors: Annotated[list[VocabCode], Field(min_length=1)]
    """Codes from data/vocabularies/sectors.yaml."""
    goods: list[Goods] = []
    thresholds: list[Threshold] = []
    """Value limits that decide which goods are covered, each cited."""
    instruments: list[InstrumentRef] = []
    events: Annotated[list[Event], Field(min_length=1)]
    undated_events: list[EventKind] = []
    """Event kinds that did happen but whose date no source read gives (e.g. an act adopted and
    applied whose entry-into-force date was not read). Status and outputs say so instead of
    implying the step never happened."""
    links: list[Link] = []
    notes: LongText | None = None
    """Editorial notes: what could not be confirmed, how the record was scoped."""
    withdrawn: Withdrawal | None = None


class Source(Registered):
    """A document that facts were taken from."""

    kind: SourceKind
    title: Text
    publisher: Text
    published: Date | None = None
    """The document's own publication date."""
    accessed: Date
    """When the document was read."""
    url: Url
    archived_url: Url | None = None
    official_copy_note: LongText | None = None
    """For a primary text (legal_text, official_statement) read in a copy: why the copy stands for the
    official text: who published the original, where, and why the original was not read. Required
    when the address is not on an official host (vocabularies/official_hosts.yaml)."""
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None
    """ISO 639-1 code of the document's language."""
    note: LongText | None = None
    withdrawn: Withdrawal | None = None


class Instrument(Registered):
    """A legal act or official document that made measures."""

    kind: InstrumentKind
    authority: Code
    parties: list[Code] = []
    """For a joint act: the other states and organisations that made it with the authority."""
    identifier: Text
    """The act's own name: 'Executive Order 14068', 'Council Regulation (EU) 2022/345'."""
    title: Text | None = None
    official_citation: Text | None = None
    """E.g. '87 FR 14381', 'OJ L 63, 2.3.2022, p. 1'."""
    date: Date | None = None
    """Signed, adopted or issued; left out when no source read gives it (never guessed)."""
    published: Date | None = None
    """Official publication date, where different."""
    url: Url | None = None
    """Canonical official address (ELI, congress.gov ...)."""
    amends: list[RecordId] = []
    """IDs of instruments this one amends."""
    citation: Citation
    notes: LongText | None = None
    withdrawn: Withdrawal | None = None


class Authority(Record):
    code: Code
    name: Text
    kind: AuthorityKind
    members: list[Code] = []
    """For a group: the codes of its members."""
    aliases: list[Text] = []
    """Other names or codes users may type for it, e.g. 'UK' for GB (country names are known already)."""


class Authorities(Record):
    """data/vocabularies/authorities.yaml: the states and organisations records may name."""

    schema_version: SchemaVersion
    authorities: Annotated[list[Authority], Field(min_length=1)]


class Sector(Record):
    code: VocabCode
    name: Text
    description: LongText | None = None
    hs: list[HsCode] = []
    """HS (2022) chapters or headings the sector covers."""
    synonyms: list[Text] = []
    """Words users may type for this sector, e.g. 'oil' for energy."""


class Sectors(Record):
    """data/vocabularies/sectors.yaml: the sectors measures may name."""

    schema_version: SchemaVersion
    sectors: Annotated[list[Sector], Field(min_length=1)]


class OfficialHost(Record):
    """A host where a publisher puts its official texts: a source counted as a primary text must be
    at one (or say in `official_copy_note` why a copy stands for the official text)."""

    host: Host
    """Lower-case host name, without https:// or a path; its subdomains count too ('europa.eu'
    covers 'eur-lex.europa.eu')."""
    paths: list[UrlPath] = []
    """For a host that many publishers share: only addresses whose path starts with one of these
    count, e.g. '/accounts/USDHSCBP/'."""
    name: Text
    """Who publishes there, e.g. 'EUR-Lex (Publications Office of the European Union)'."""
    authorities: Annotated[list[Code], Field(min_length=1)]
    """Codes from authorities.yaml whose official texts it publishes."""
    note: LongText | None = None
    """Why the host is official, where that is not plain from its name."""


class OfficialHosts(Record):
    """data/vocabularies/official_hosts.yaml: the hosts known as official for their publishers."""

    schema_version: SchemaVersion
    hosts: Annotated[list[OfficialHost], Field(min_length=1)]


class Period(Record):
    """A span of days, both ends included."""

    start: Date
    end: Date


class Family(Record):
    """A family of measures the dataset declares its coverage for: measures of these types (and,
    when sectors are given, touching one of these sectors)."""

    code: VocabCode
    name: Text
    types: Annotated[list[MeasureType], Field(min_length=1)]
    sectors: list[VocabCode] = []
    """Sector codes; empty means any sector."""
    description: LongText | None = None


class CoverageCell(Record):
    """How complete the dataset is for one family of measures by one authority."""

    family: VocabCode
    authority: Code
    status: CoverageStatus
    """complete: every measure found is recorded; partial: the note says what is missing;
    none_found: the note says what was searched."""
    note: LongText | None = None
    """For readers: what the cell holds, what is missing, or what was searched."""


class Coverage(Record):
    """data/coverage.yaml: the scope the dataset claims to cover, and how completely."""

    schema_version: SchemaVersion
    period: Period
    """Measures taken, widened or changed in this period are in scope."""
    targets: Annotated[list[Code], Field(min_length=1)]
    """The targeted states the claim is about, e.g. [RU]."""
    families: Annotated[list[Family], Field(min_length=1)]
    authorities: Annotated[list[Code], Field(min_length=1)]
    cells: list[CoverageCell]
    """One cell per family and authority."""


# Record kinds by folder: the folder a file is in says which model it must follow.
RECORD_KINDS: dict[str, type[Record]] = {
    "measures": Measure,
    "sources": Source,
    "instruments": Instrument,
}
#: Files that hold one document each, by name (where they live: files.SINGLE_FILES).
SINGLE_FILE_MODELS: dict[str, type[Record]] = {
    "authorities": Authorities,
    "sectors": Sectors,
    "official_hosts": OfficialHosts,
    "coverage": Coverage,
}
