"""The closed vocabularies, as plain data: the one place each list of codes is written.

The pydantic models (models.py) turn them into enums, the database into tables and column docs,
the pandera models into `isin` checks, the CLI into choices and the README into prose. This module
imports nothing, so the query path can use it without loading pydantic.

Sectors and authorities are not here: contributors extend them, so they live in data/vocabularies/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of codes, with the name of the enum the models build from it."""

    enum: str
    doc: str
    codes: tuple[str, ...]

    def __iter__(self):
        return iter(self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def prose(self) -> str:
        """'a, b or c': for column docs and messages."""
        return ", ".join(self.codes[:-1]) + " or " + self.codes[-1] if len(self.codes) > 1 else self.codes[0]


EVENT_KINDS = Vocabulary("EventKind", "What happened to a measure, in lifecycle order.", (
    "requested", "considered", "threatened", "announced", "adopted", "published", "in_force",
    "wind_down_ends", "amended", "suspended", "lifted", "expired"))

#: Where a measure stood on a day: derived from its events (lifecycle.py), never stored.
STATUSES = Vocabulary("Status", "Where a measure stood on a given day.", (
    "requested", "considered", "threatened", "announced", "adopted", "in_force", "suspended",
    "lifted", "expired"))

#: Where a measure may stand before it enters into force (an undated entry into force makes it in force).
BEFORE_IN_FORCE = STATUSES.codes[:STATUSES.codes.index("in_force")]

#: Event kinds that may be scheduled ahead of today; every other kind has happened when recorded.
SCHEDULABLE_EVENTS = frozenset({"in_force", "wind_down_ends", "expired"})

DATE_BASES = Vocabulary(
    "DateBasis", "Whether an event's date is when it happened or only when a source reported it.",
    ("occurred", "reported"))

CATEGORIES = Vocabulary(
    "Category", "Broad category, compatible with the Global Sanctions Data Base (GSDB).",
    ("trade", "financial", "travel", "arms", "military", "other"))

#: Measure type -> (category, English name). Aligned with OpenSanctions' program measures.
MEASURE_TYPE_INFO: dict[str, tuple[str, str]] = {
    "asset_freeze": ("financial", "Asset freeze"),
    "financial_restrictions": ("financial", "Financial restrictions"),
    "investment_ban": ("financial", "Investment ban"),
    "financial_messaging_disconnection": ("financial", "Disconnection from financial messaging (SWIFT)"),
    "lending_denial": ("financial", "Denial of international-lender financing"),
    "import_ban": ("trade", "Import ban"),
    "import_restrictions": ("trade", "Import restrictions"),
    "export_ban": ("trade", "Export ban"),
    "export_control": ("trade", "Export control"),
    "trade_status_revocation": ("trade", "Trade-status revocation (MFN / normal trade relations)"),
    "tariff_increase": ("trade", "Tariff increase"),
    "services_ban": ("trade", "Services ban"),
    "transportation_restrictions": ("trade", "Transportation restrictions"),
    "travel_ban": ("travel", "Travel ban"),
    "arms_embargo": ("arms", "Arms embargo"),
    "military_measures": ("military", "Military measures"),
    "unspecified": ("other", "Unspecified sanctions (content not stated)"),
}
MEASURE_TYPES = Vocabulary(
    "MeasureType", "What a measure does. Aligned with OpenSanctions' program measures where they fit.",
    tuple(MEASURE_TYPE_INFO))

INSTRUMENT_KINDS = Vocabulary("InstrumentKind", "The kind of legal act or official document.", (
    "executive_order", "proclamation", "statute", "bill", "regulation", "implementing_regulation",
    "decision", "rule", "general_licence", "determination", "order", "statutory_instrument",
    "designation", "joint_statement", "leaders_statement", "official_statement", "other"))

SOURCE_KINDS = Vocabulary(
    "SourceKind", "The kind of document. legal_text and official_statement are primary texts.",
    ("legal_text", "official_statement", "press_release", "news", "analysis"))
PRIMARY_SOURCE_KINDS = frozenset({"legal_text", "official_statement"})

#: Words and phrases that mark unfinished or invented text: refused in every field of every record.
#: Matched as whole words in any case, except those in UPPER_CASE_ONLY ('todo' is Spanish and
#: Portuguese for 'all'). XXX stands for any run of three or more x's, but not for the Roman numeral
#: 30 after 'Annex', 'Part', 'Article'... ('Annex XXX') nor for a point numbered '(xxx)'.
PLACEHOLDER_WORDS = ("PLACEHOLDER", "TODO", "TBD", "FIXME", "XXX", "lorem ipsum")
UPPER_CASE_ONLY = frozenset({"TODO"})

#: Host names reserved for examples, tests and local networks (RFC 2606, RFC 6761, RFC 6762,
#: RFC 8375, ICANN's .internal): no publisher's document is there. A host that is one of these, or
#: under one, is refused in every address, as is a private, loopback or documentation IP address.
RESERVED_HOSTS = ("example.com", "example.net", "example.org", "example", "test", "invalid",
                  "localhost", "local", "home.arpa", "internal")

LINK_RELATIONS = Vocabulary("LinkRelation", "How one measure relates to another.", (
    "implements", "amends", "extends", "supersedes", "coordinated_with", "follows"))

GOODS_SYSTEMS = Vocabulary("GoodsSystem", "The goods nomenclature a code belongs to.", (
    "HS", "HTSUS", "CN", "ScheduleB", "UKGT", "national"))

AUTHORITY_KINDS = Vocabulary("AuthorityKind", "What kind of body an authority is.",
                             ("state", "organisation", "group"))

COVERAGE_STATUSES = Vocabulary(
    "CoverageStatus", "How complete the dataset claims to be in one cell of its declared scope.",
    ("complete", "partial", "none_found"))

#: Which record cites: the `record_kind` of citations.
CITING_KINDS = Vocabulary("CitingKind", "The kind of record that holds a citation.",
                          ("measure", "instrument"))
