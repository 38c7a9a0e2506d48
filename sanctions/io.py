"""YAML files in, plain data with locations out.

Records are read from libyaml's event stream (fast, C) and built here under YAML 1.2's core schema,
so that `NO` stays Norway and `1:30` stays a string. Everything that makes YAML dangerous or
ambiguous for a dataset is refused rather than interpreted: anchors, aliases, merge keys, tags,
duplicate keys, several documents in one file, non-UTF-8 bytes, oversized files, deep nesting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NUMBER_DIGITS
from .text import UNSAFE


try:  # libyaml is in every PyYAML wheel; the pure-Python parser is only a fallback.
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Parser = yaml.SafeLoader

Path_ = tuple[str | int, ...]
Location = tuple[int, int]

# YAML 1.2 core schema, for plain (unquoted) scalars only.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


#: First characters of every plain scalar that is not a string (null, bool, number, .inf, .nan).
_NON_WORD_START = frozenset("~nNtTfF-+.0123456789")


def resolve_plain(text: str) -> Any:
    """The value of a plain scalar under the YAML 1.2 core schema (no timestamps, no yes/no).

    ValueError for a number written with more than MAX_NUMBER_DIGITS characters: converting it
    would be slow or lossy, and no field holds one."""
    if text and text[0] not in _NON_WORD_START:
        return text  # the common case, a word: no rule below can match
    if len(text) > MAX_NUMBER_DIGITS and (_INT10.match(text) or _INT8.match(text) or _INT16.match(text)
                                          or _FLOAT.match(text)):
        raise ValueError(len(text))
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


@dataclass
class Document:
    """A parsed file: its data, where each field stands, and what went wrong reading it."""

    path: str
    data: Any = None
    locations: dict[Path_, Location] | None = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    source: Path | None = None
    """The file, to parse again for locations once `release()` has dropped them."""
    moved: Any = None
    """For a salvaged record (salvage.py): its paths -> the paths in the file as written."""

    def release(self) -> None:
        """Drop the data and locations (most of a dataset's memory) once the record is built;
        a problem found later re-reads the file to locate itself."""
        self.data = None
        if self.source is not None:
            self.locations = None

    def locate(self, loc: Path_) -> Location:
        """The line and column of a field, or of its nearest parent that exists in the file."""
        if self.locations is None:
            self.locations = read_document(self.source, self.path).locations or {}
        loc = tuple(loc) if self.moved is None else self.moved(tuple(loc))
        while loc:
            if loc in self.locations:
                return self.locations[loc]
            loc = loc[:-1]
        return self.locations.get((), (1, 1))

    def problem(self, loc: Path_, code: str, message: str) -> Problem:
        line, column = self.locate(loc)
        shown_loc = loc if self.moved is None else self.moved(tuple(loc))
        return Problem(self.path, line, column, format_field(shown_loc), code, message)


def format_field(loc: Path_) -> str:
    """`events[2].citation.source` from ('events', 2, 'citation', 'source')."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Refused(Exception):
    def __init__(self, mark: Any, code: str, message: str, loc: Path_ = ()):
        self.line = (mark.line + 1) if mark is not None else 1
        self.column = (mark.column + 1) if mark is not None else 1
        self.code, self.message, self.loc = code, message, loc


def read_document(path: Path, display_path: str | None = None) -> Document:
    """Read one YAML file. Never raises for bad content: problems are recorded on the Document."""
    from .files import Unreadable, read_regular, shown as show

    where = display_path or show(path)
    try:
        raw, _ = read_regular(path)
    except Unreadable as exc:
        return Document(where, problems=[Problem(where, 1, 1, "", exc.code, exc.strerror)])
    return parse_bytes(raw, where)


def _position(text: str | bytes, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of an offset into a file's text or bytes."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    before = text[:offset]
    return before.count(newline) + 1, len(before) - (before.rfind(newline) + 1) + 1


def parse_bytes(raw: bytes, shown: str) -> Document:
    doc = Document(shown)
    if len(raw) > MAX_FILE_BYTES:
        doc.problems.append(Problem(shown, 1, 1, "", "file-too-large",
                                    f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}"))
        return doc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        doc.problems.append(Problem(shown, line, column, "", "encoding",
                                    f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"))
        return doc
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")  # Windows line ends are line ends; a lone CR is refused
    raw_bad = UNSAFE.search(text)
    if raw_bad:  # written as is (libyaml lets C1 controls and bidi overrides through)
        line, column = _position(text, raw_bad.start())
        doc.problems.append(Problem(shown, line, column, "", "control-character",
                                    f"U+{ord(raw_bad.group()):04X} is not allowed: control characters "
                                    "and bidirectional overrides could disguise the text"))
        return doc
    try:
        doc.data, doc.locations = _build(text)
    except _Refused as exc:
        doc.problems.append(Problem(shown, exc.line, exc.column, format_field(exc.loc), exc.code,
                                    exc.message))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        what = (exc.problem or exc.context or "invalid YAML").strip()
        line_text = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        if "\t" in line_text[:len(line_text) - len(line_text.lstrip(" \t"))] or "tab" in what:
            what = "a tab in the indentation: YAML indents with spaces only (replace the tab with spaces)"
        doc.problems.append(Problem(shown, line, column, "", "yaml-syntax", f"invalid YAML: {what}"))
    except yaml.reader.ReaderError as exc:  # control characters and the like
        line, column = _position(text, exc.position)
        doc.problems.append(Problem(shown, line, column, "", "yaml-syntax",
                                    f"invalid YAML: control character U+{exc.character:04X} is not allowed"))
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(shown, 1, 1, "", "yaml-syntax",
                                    f"invalid YAML: {str(exc).splitlines()[0]}"))
    if doc.data is None and not doc.problems:
        doc.problems.append(Problem(shown, 1, 1, "", "empty", "the file holds no record"))
    return doc


def _build(text: str) -> tuple[Any, dict[Path_, Location]]:
    """Turn the event stream into dicts, lists and scalars, with a location for every field."""
    locations: dict[Path_, Location] = {(): (1, 1)}
    # Each frame: [container, its path, pending key or None, mark of the pending key]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    escapes = "\\" in text  # only a double-quoted escape can yield a character refused above
    for event in yaml.parse(text, Loader=_Parser):
        kind = type(event)
        if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
            continue
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused(event.start_mark, "yaml-multiple-documents",
                               "a file holds one record: remove the second `---` document")
            continue
        here: Path_ = ()
        if stack:
            here = stack[-1][1]
            if isinstance(stack[-1][0], dict) and stack[-1][2] is not None:
                here = here + (stack[-1][2],)
            elif isinstance(stack[-1][0], list):
                here = here + (len(stack[-1][0]),)
        if kind is yaml.AliasEvent:
            raise _Refused(event.start_mark, "yaml-alias",
                           f"aliases (*{event.anchor}) are not allowed: write the value out", here)
        if kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            finished = stack.pop()[0]
            if not stack:
                root = finished
            continue
        if event.anchor is not None:
            raise _Refused(event.start_mark, "yaml-anchor",
                           f"anchors (&{event.anchor}) are not allowed: write the value out", here)
        if event.tag is not None:
            raise _Refused(event.start_mark, "yaml-tag",
                           f"tags ({event.tag}) are not allowed: remove the tag", here)
        if kind is yaml.ScalarEvent:
            # Raw unsafe characters were refused before parsing; here, those written as escapes.
            bad = escapes and event.style == '"' and UNSAFE.search(event.value)
            if bad:
                raise _Refused(event.start_mark, "control-character",
                               f"U+{ord(bad.group()):04X} is not allowed: control characters and "
                               "bidirectional overrides could disguise the text", here)
            try:
                value: Any = event.value if event.style else resolve_plain(event.value)
            except ValueError:
                raise _Refused(event.start_mark, "number-too-long",
                               f"a number of {len(event.value)} characters: no field takes one; "
                               "write it in quotes if it is text", here) from None
        elif kind is yaml.MappingStartEvent:
            value = {}
        else:
            value = []
        # Place the value: as a key, as a mapping value, as a list item, or as the root.
        if stack:
            frame = stack[-1]
            container, parent = frame[0], frame[1]
            if isinstance(container, dict) and frame[2] is None:
                if kind is not yaml.ScalarEvent:
                    raise _Refused(event.start_mark, "yaml-complex-key",
                                   "keys must be plain words, not mappings or lists", parent)
                key = event.value
                if "\n" in key or "\t" in key:
                    raise _Refused(event.start_mark, "control-character",
                                   "keys are single words: no newline or tab", parent)
                if key == "<<" and not event.style:
                    raise _Refused(event.start_mark, "yaml-merge-key",
                                   "merge keys (<<) are not allowed: write the fields out", parent)
                if key in container:
                    raise _Refused(event.start_mark, "yaml-duplicate-key",
                                   f"duplicate key '{key}': each field appears once",
                                   parent + (key,))
                frame[2], frame[3] = key, event.start_mark
                continue
            if isinstance(container, dict):
                path = parent + (frame[2],)
                mark = frame[3]
                container[frame[2]] = value
                frame[2] = None
            else:
                path = parent + (len(container),)
                mark = event.start_mark
                container.append(value)
            locations[path] = (mark.line + 1, mark.column + 1)
        else:
            path = ()
            root = value
        if kind is not yaml.ScalarEvent:
            if len(stack) >= MAX_DEPTH:
                raise _Refused(event.start_mark, "yaml-too-deep",
                               f"nesting deeper than {MAX_DEPTH} levels", path)
            stack.append([value, path, None, None])
    return root, locations
