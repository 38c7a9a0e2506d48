"""Rules on one record that need the vocabularies but no other record: codes exist, events are in a
possible order and not in the future, a primary text is on an official host, lists hold no
duplicate, hosts mix no scripts.

They run with the file's own checks (dataset._load_one, on both cores), so that a file unchanged
since the last run, under the same vocabularies, is not checked again (facts.py). Their verdict
only improves as days pass (a date that is not in the future today never will be), so a record
found clean on one day stays clean on any later day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .codes import Lookup, UnknownCode, vocabulary_lookups
from .errors import Problem
from .io import Document
from .lifecycle import order_problems
from .models import PRIMARY_SOURCE_KINDS, Authority, Instrument, Measure, OfficialHost, Sector, Source
from .provenance import host_of, index_hosts, official_host, reserved_host
from .vocab import SCHEDULABLE_EVENTS

Loc = tuple
#: The files whose content the rules on one record depend on.
CONTEXT_FILES = ("vocabularies/authorities.yaml", "vocabularies/sectors.yaml",
                 "vocabularies/official_hosts.yaml")


@dataclass
class Context:
    """The vocabularies as the rules see them. `authorities`/`sectors` empty, or `hosts` None, when
    that file is broken (reported already): the rules that need it wait."""

    today: dt.date
    authorities: dict[str, Authority] = field(default_factory=dict)
    sectors: dict[str, Sector] = field(default_factory=dict)
    hosts: dict[str, list[OfficialHost]] | None = None
    #: A hash of the content of CONTEXT_FILES (as read): facts checked under other vocabularies are not reused.
    key: str = ""

    @classmethod
    def of(cls, today: dt.date, authorities: dict, sectors: dict, official_hosts: list | None,
           read: dict[str, tuple]) -> Context:
        hosts = index_hosts(official_hosts) if official_hosts is not None else None
        return cls(today, authorities, sectors, hosts, cls.key_of(read))

    @staticmethod
    def key_of(read: dict[str, tuple]) -> str:
        """The key of the vocabularies read (rel -> (stat..., hash)), without their content."""
        digest = hashlib.blake2b(digest_size=16)
        for rel in CONTEXT_FILES:
            entry = read.get(rel)
            digest.update(f"{rel}\0{entry[4] if entry else '-'}\n".encode())
        return digest.hexdigest()

    @cached_property
    def lookups(self) -> tuple[Lookup, Lookup]:
        return vocabulary_lookups(self.authorities, self.sectors)

    def __getstate__(self) -> dict:  # (the lookups are rebuilt where needed, not shipped to workers)
        return {k: v for k, v in self.__dict__.items() if k != "lookups"}


def record_problems(kind: str, record: Any, doc: Document, context: Context) -> list[Problem]:
    rules = {"measures": _measure, "sources": _source, "instruments": _instrument}[kind]
    return [doc.problem(loc, code, message) for loc, code, message in rules(record, context)]


Found = Iterator[tuple[Loc, str, str]]


def _advice(lookup: Lookup, text: str) -> str:
    """'UK' -> write the code 'GB'; 'seafod' -> did you mean 'seafood'?"""
    try:
        return f": write the code '{lookup.resolve(text)}'"
    except UnknownCode as exc:
        return f" ({exc.hint})"


def _authority(context: Context, loc: Loc, code: str | None) -> Found:
    if code is not None and context.authorities and code not in context.authorities:
        yield (loc, "unknown-authority",
               f"'{code}' is not in vocabularies/authorities.yaml{_advice(context.lookups[0], code)}")


def _measure(m: Measure, context: Context) -> Found:
    if context.authorities and context.sectors:
        yield from _authority(context, ("authority",), m.authority)
        for i, t in enumerate(m.targets):
            yield from _authority(context, ("targets", i, "code"), t.code)
        for i, e in enumerate(m.events):
            yield from _authority(context, ("events", i, "actor"), e.actor)
        for i, s in enumerate(m.sectors):
            if s not in context.sectors:
                yield (("sectors", i), "unknown-sector",
                       f"'{s}' is not in vocabularies/sectors.yaml{_advice(context.lookups[1], s)}")
    for index, message in order_problems(list(m.events)):
        yield ("events", index, "date"), "event-order", message
    today = context.today
    horizon = dt.date(today.year + 25, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
    for i, e in enumerate(m.events):
        if e.kind.value not in SCHEDULABLE_EVENTS and e.date > today:
            yield (("events", i, "date"), "future-date",
                   f"'{e.kind.value}' on {e.date} is after today: only an entry into force, "
                   "a wind-down's end or an expiry may be scheduled ahead")
        elif e.date > horizon:
            yield ("events", i, "date"), "future-date", f"{e.date} is more than 25 years ahead: check the year"
    for field_name, values in (("sectors", m.sectors),
                               ("targets", [t.model_dump_json() for t in m.targets]),
                               ("goods", [(g.system, g.code) for g in m.goods])):
        seen = set()
        for i, value in enumerate(values):
            if value in seen:
                yield (field_name, i), "duplicate-entry", f"this entry of '{field_name}' is listed twice"
            seen.add(value)


def _source(s: Source, context: Context) -> Found:
    if s.accessed > context.today:
        yield ("accessed",), "future-date", f"accessed {s.accessed} is in the future"
    if s.published and s.published > s.accessed:
        yield ("published",), "event-order", f"published {s.published} is after accessed {s.accessed}"
    host = host_of(s.url)
    if context.hosts is not None and not s.withdrawn and host is not None and not reserved_host(host):
        if s.official_copy_note is not None and s.kind not in PRIMARY_SOURCE_KINDS:
            yield (("official_copy_note",), "unneeded-copy-note",
                   f"a {s.kind.value} source does not count as a primary text, so it needs no "
                   "official_copy_note: move the text into note")
        elif (s.kind in PRIMARY_SOURCE_KINDS and s.official_copy_note is None
              and official_host(s.url, context.hosts) is None):
            yield (("url",), "unofficial-host",
                   f"'{host}' is not an official host (vocabularies/official_hosts.yaml), so "
                   f"this {s.kind.value} cannot count as a primary text: give the text's "
                   "address on its publisher's official host (add the host to "
                   "official_hosts.yaml if it is the publisher's own), or say in "
                   "official_copy_note why this copy stands for the official text (who "
                   "published the original, where, and why the original was not read); if "
                   "it is not a primary text, change kind")
    yield from _mixed_scripts(s, ("url", "archived_url"))


def _instrument(inst: Instrument, context: Context) -> Found:
    if context.authorities and context.sectors:
        yield from _authority(context, ("authority",), inst.authority)
        for i, party in enumerate(inst.parties):
            yield from _authority(context, ("parties", i), party)
    if inst.published and inst.date and inst.published < inst.date:
        yield ("published",), "event-order", f"published {inst.published} is before the act's date {inst.date}"
    host = inst.url and host_of(inst.url)
    if context.hosts is not None and not inst.withdrawn and host and not reserved_host(host):
        if official_host(inst.url, context.hosts) is None:
            yield (("url",), "unofficial-host",
                   f"'{host}' is not an official host (vocabularies/official_hosts.yaml): an "
                   "instrument's url is the act's official address; give its address on "
                   "the publisher's official host (add the host to official_hosts.yaml if it "
                   "is the publisher's own), or leave url out: the citation names the text "
                   "that was read")
    yield from _mixed_scripts(inst, ("url",))


def counts_as_primary(source: Source, hosts: dict | None) -> bool:
    """Whether a source stands for an official text: of a primary kind, at a real address, and on
    an official host or with an official_copy_note saying why its copy stands for the original."""
    if source.kind not in PRIMARY_SOURCE_KINDS:
        return False
    host = host_of(source.url)
    if host is None or reserved_host(host):
        return False
    return (hosts is None or source.official_copy_note is not None
            or official_host(source.url, hosts) is not None)


def _scripts(label: str) -> set[str]:
    import unicodedata

    return {unicodedata.name(ch, "UNKNOWN").split()[0] for ch in label if ch.isalpha()}


def mixed_script_host(url: str) -> str | None:
    """The host of `url` when one of its labels mixes scripts (an IDN homograph such as 'аpple')."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit(":", 1)[0]
    for label in host.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return host
        if len(_scripts(label)) > 1:
            return host
    return None


def _mixed_scripts(record: Any, fields: tuple[str, ...]) -> Found:
    for name in fields:
        url = getattr(record, name)
        host = url and mixed_script_host(url)
        if host:
            yield ((name,), "mixed-script-host",
                   f"the host {host!r} mixes scripts (letters of one alphabet disguised "
                   "as another): give the address as the publisher writes it")
