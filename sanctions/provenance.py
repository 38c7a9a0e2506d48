"""Provenance: no placeholder passes for a fact, and a primary text is read where its publisher puts it.

Two kinds of check, each defined by data: the placeholder words and reserved hosts of vocab.py,
refused in every string of every file (per file, in dataset.py, once the model has accepted the
file); and the hosts of vocabularies/official_hosts.yaml, where a source counted as a primary text
must be (checks.py). This module holds the matching; the messages that say what to do live here too.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import vocab
from .errors import Problem

if TYPE_CHECKING:
    from .io import Document
    from .models import OfficialHost

# The host of an http(s) address, wherever it stands in a text: after the scheme and any user
# name, up to the port, path, query or the end of the word.
_URL_HOST = re.compile(r"https?://(?:[^\s/?#@]*@)?(\[[0-9A-Fa-f:.]+\]|[\w.-]+)", re.IGNORECASE)


def _placeholder_pattern() -> re.Pattern[str]:
    parts = []
    for word in vocab.PLACEHOLDER_WORDS:
        if word == "XXX":
            parts.append("[Xx]{3,}")
            continue
        body = r"\s+".join(re.escape(w) for w in word.split())
        parts.append(body if word in vocab.UPPER_CASE_ONLY else f"(?i:{body})")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


_PLACEHOLDER = _placeholder_pattern()
_ROMAN = re.compile(r"^[IVXLCDM]+$")
#: Words after which an upper-case XXX is the Roman numeral 30 ('Annex XXX', 'Annexes XXIX, XXX').
_NUMBERED = frozenset({
    "annex", "annexes", "appendix", "article", "articles", "book", "chapter", "chapters", "item",
    "items", "no", "number", "paragraph", "part", "parts", "point", "points", "schedule",
    "schedules", "section", "sections", "title", "titles", "volume"})
_JOINERS = frozenset({"and", "or", "to", "&"})


def _numeral(text: str, start: int, end: int) -> bool:
    """Whether the run of x's at text[start:end] is a Roman numeral rather than a placeholder."""
    word = text[start:end]
    if word == "xxx":  # a point numbered (xxx), as lists of points are in legal texts
        return text[start - 1:start] == "(" and text[end:end + 1] == ")"
    if word != "XXX":
        return False
    for token in reversed(re.split(r"[\s,;–-]+", text[:start])):
        if not token or _ROMAN.match(token) or token.lower() in _JOINERS:
            continue
        return token.rstrip(".").lower() in _NUMBERED
    return False


def placeholder_word(text: str) -> str | None:
    """The first placeholder word or phrase in `text` ('TODO', 'xxx'), if any."""
    for found in _PLACEHOLDER.finditer(text):
        if not _numeral(text, found.start(), found.end()):
            return found.group()
    return None


def host_of(url: str | None) -> str | None:
    """The lower-case host of an http(s) address, without port, brackets or a final dot (None for
    no address: a salvaged record's bad URL)."""
    found = _URL_HOST.match(url) if url else None
    return _clean(found.group(1)) if found else None


def _clean(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def reserved_host(host: str) -> str | None:
    """Why `host` holds no publisher's document, if it is reserved ('under example.org, a name
    reserved for examples, tests or local networks'); None for an ordinary host."""
    for name in vocab.RESERVED_HOSTS:
        if host == name or host.endswith("." + name):
            under = f"under {name}, " if host != name else ""
            return f"{under}a name reserved for examples, tests or local networks"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address.is_global else "a private, loopback or documentation IP address"


#: What a placeholder should become, by the name of the field that holds it.
_REPLACE_WITH = {
    "url": "the address where the document was read",
    "archived_url": "the address of the archived copy, or leave archived_url out",
    "quote": "a passage copied exactly from the source, or leave quote out",
    "title": "the title the document or measure really has",
    "locator": "the section, article or page, or leave locator out",
    "source": "the id of a file in sources/",
    "id": "an id that says what the record is",
    "identifier": "the act's own name, as it is cited",
    "official_citation": "the citation the official journal gives, or leave official_citation out",
}


def _field_name(loc: tuple) -> str:
    return next((part for part in reversed(loc) if isinstance(part, str)), "")


def placeholder_message(loc: tuple, text: str) -> tuple[str, str] | None:
    """(code, message) for the first placeholder in one string of a record, if any."""
    name = _field_name(loc)
    for found in _URL_HOST.finditer(text):
        host = _clean(found.group(1))
        why = reserved_host(host)
        if why:
            what = _REPLACE_WITH["archived_url" if name == "archived_url" else "url"]
            return "placeholder-host", (f"'{host}' is {why}, where no publisher puts documents: "
                                        f"replace the placeholder with {what}")
    word = placeholder_word(text)
    if word:
        what = _REPLACE_WITH.get(name, "the real text, or leave the field out if it is optional")
        return "placeholder", f"'{word}' marks unfinished text: replace the placeholder with {what}"
    return None


def _strings(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, loc + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, loc + (index,))


#: A cheap test of a whole file first (most files hold no placeholder), the regular expressions of
#: each string only where it passes: lower-case text without which no placeholder word can be there,
#: and the host after each '://'.
_TRIGGER = re.compile("|".join(sorted({re.escape(word.split()[0].lower())
                                         for word in vocab.PLACEHOLDER_WORDS})))
_HOST_AFTER_SCHEME = re.compile(r"(?:[^\s/?#@\"]*@)?(\[[0-9A-Fa-f:.]+\]|[\w.-]+)")


def _suspect(text: str) -> bool:
    if _TRIGGER.search(text.lower()):
        return True
    start = text.find("://")
    while start != -1:
        found = _HOST_AFTER_SCHEME.match(text, start + 3)
        if found and reserved_host(_clean(found.group(1))):
            return True
        start = text.find("://", start + 3)
    return False


def placeholder_problems(doc: Document, text: str | None = None) -> list[Problem]:
    """One problem for each string of a parsed file that holds a placeholder word or address.
    `text` is the file's data as JSON, when the caller has it already."""
    if not _suspect(json.dumps(doc.data) if text is None else text):
        return []
    out = []
    for loc, value in _strings(doc.data, ()):
        found = placeholder_message(loc, value)
        if found:
            out.append(doc.problem(loc, *found))
    return out


# --- official hosts ----------------------------------------------------------------------------


def _ascii(host: str) -> str:
    """An internationalised host in its xn-- form, as official_hosts.yaml writes it."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def index_hosts(entries: Sequence[OfficialHost]) -> dict[str, list[OfficialHost]]:
    """The entries of official_hosts.yaml by host, for official_host()."""
    index: dict[str, list[OfficialHost]] = {}
    for entry in entries:
        index.setdefault(entry.host, []).append(entry)
    return index


def official_host(url: str, hosts: Mapping[str, Sequence[OfficialHost]]) -> OfficialHost | None:
    """The entry of official_hosts.yaml (by host) that `url` is at, the most specific first: its
    host or a parent domain, and one of its paths when it lists any."""
    host = host_of(url)
    if not host:
        return None
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        return None
    labels = _ascii(host).split(".")
    for start in range(len(labels) - 1):
        for entry in hosts.get(".".join(labels[start:]), ()):
            if not entry.paths or any(path.startswith(prefix) for prefix in entry.paths):
                return entry
    return None


#: Wording that speaks of how a record was curated rather than of its sources, or names a local
#: path. Notes are for the dataset's readers: "the official text was not read; the date rests on …".
CURATION_PHRASES = tuple(
    f"{who} {what}" for who in ("this", "the", "our", "that") for what in ("session", "curation", "audit")
) + ("searchable store", "our searches", "the searches", "in searches", "at the time of writing",
     "could not be found", "was not found", "were not found", "curator", "source-articles/")
LOCAL_PATH = re.compile(r"(?:^|\s)(/work/|/tmp/|/home/|\.\./shared)")


def curation_talk(text: str) -> str | None:
    """The first curation phrase or local path in `text`, if any."""
    lowered = text.lower()
    for phrase in CURATION_PHRASES:
        if phrase in lowered:
            return phrase
    found = LOCAL_PATH.search(text)
    return found.group(1) if found else None


def _note_fields(record: Any) -> Iterator[tuple[tuple, str]]:
    for name in ("notes", "note", "summary", "official_copy_note"):
        text = getattr(record, name, None)
        if text:
            yield (name,), text
    for i, e in enumerate(getattr(record, "events", None) or []):
        if e.note:
            yield ("events", i, "note"), e.note
    for i, link in enumerate(getattr(record, "links", None) or []):
        if link.note:
            yield ("links", i, "note"), link.note


def curation_problems(doc: Document, record: Any) -> list[Problem]:
    """Notes that speak of the curation or name local paths: a rule of one record, so it runs
    with the file's own checks (and is not repeated for a file unchanged since the last run)."""
    return [doc.problem(loc, "curation-note",
                        f"'{found}': notes speak to readers about the record and its sources (e.g. 'the "
                        "official text was not read; the date rests on …'), not about how it was curated "
                        "or where files lay")
            for loc, text in _note_fields(record) if (found := curation_talk(text))]
