"""`sanctions fmt`: every record in one canonical layout, comments kept, data never changed.

The layout is decided here, once; `io.py` stays the reader (and knows nothing of the models), this
module is the writer's policy over the models. A file is laid out from scratch, not patched, so
that two files holding the same data and comments come out byte-identical:

- **Key order**: the model's field order (models.py), recursively for nested models, read from
  the pydantic models themselves; keys the model does not know follow the known ones, in the
  order they were written (validation will name them).
- **Collections**: block style, indented by two spaces, list items `- ` indented under their key;
  a list or mapping the author wrote in flow style (`[RU, BY]`, `{start: ..., end: ...}`, one
  vocabulary entry per line) stays in flow style, on one line, spaced `[a, b]` and `{k: v}`;
  empty ones are `[]` and `{}`.
- **Quoting**: a string is plain where a YAML 1.2 core reader (ours, io.py) *and* a YAML 1.1
  reader (PyYAML's safe loader, which many tools use) both read the same string back, and the
  characters allow it (no indicator first, no `: ` or ` #`, no blank at either end); otherwise it
  is quoted. So `NO` (false to YAML 1.1), `"0302"` (a number),
  `"1.0"`, `yes`, `on`, `1:30`, `null`, and date-like strings in text fields stay quoted. Dates
  in date fields are written plain `YYYY-MM-DD`, as every reader takes them for dates. Quotes are
  double, or single where the text holds a double quote and nothing to escape; control and
  invisible format characters (zero-width space, soft hyphen...) are written as escapes
  (`\\u200b`). Numbers keep the digits they were written with; null is `null`, booleans
  `true`/`false`.
- **Wrapping**: the long free-text fields (the models' `LongText`: summary, notes, note,
  description, reason...) are written folded (`>-`) and wrapped at WIDTH columns when
  `key: value` would not fit on one line (or the text holds line breaks), breaking only at a
  single space between words; other strings (titles, quotes, locators, URLs) stay on one line
  whatever their length, so that they can be searched for as written. A key the model does not
  know is folded when it was written as a block scalar (`>` or `|`) and does not fit.
- **Comments** are kept, each with the field it was written with, and move with it: a comment at
  the end of a line stays at the end of that field's first line (two spaces before `#`); a
  comment on lines of its own stays just above the field that follows it, at that field's
  indentation (or above the field whose value it sat inside, e.g. in a flow list), unless it is
  indented deeper than that field: then it stays at the end of the block it closes (an event, a
  citation). Comments before the first field (the `# yaml-language-server: $schema=...` line)
  stay at the top, comments after the last one at the end.
- **Blank lines**: none (but the empty lines that stand for line breaks inside folded text); one
  newline (LF) at the end of the file, no trailing spaces, no byte order mark, no `---` marker.
  A `%YAML`/`%TAG` directive is refused rather than dropped.

Comments are found from libyaml's tokens, the parser that reads the data (between two tokens
there is only white space and comments), not through a round-trip library such as ruamel.yaml:
a canonical layout rewrites every line anyway, so keeping a comment is a matter of knowing which
field it belongs to, and that is decided here, in one place, with the rules above.

Nothing is written unless it is provably the same data: the new text is parsed again with the
project's reader (io.parse_bytes) and must give exactly the same values (types included) and the
same comments; otherwise the file is refused with `PATH:LINE:COL: message` and left as it is. A
file that does not parse, or that the reader refuses, is refused the same way. Files are written
atomically (files.write_atomic), only when their bytes change, and only if they did not change
while being formatted. Formatting is idempotent: the output of `fmt` is its own canonical form.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel

from . import models
from .errors import Problem, SanctionsError, UsageError
from .files import SINGLE_FILES, DataFile, Unreadable, read_regular, scan, shown, write_atomic
from .io import Document, format_field, parse_bytes, resolve_plain

#: Lines are wrapped to this many columns (folded free text); 110 is the width the data was
#: mostly wrapped at by hand.
WIDTH = 110
#: Folded text is never wrapped narrower than this, however deep it is nested.
MIN_TEXT_WIDTH = 40
#: Spaces before a comment at the end of a line.
COMMENT_GAP = "  "

try:  # libyaml, as io.py: the same scanner and parser read what we write
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class Refused(SanctionsError):
    """A file fmt will not write, located: `PATH:LINE:COL: reason`."""

    def __init__(self, path: str, line: int, column: int, reason: str):
        super().__init__(f"{path}:{line}:{column}: {reason}")
        self.path, self.line, self.column, self.reason = path, line, column, reason


# --- what the models say about each field -------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What the layout needs to know of a field: the model of its mapping (or of its list's
    mappings), and whether it holds a date or long free text."""

    model: type[BaseModel] | None = None
    date: bool = False
    prose: bool = False


NO_SHAPE = Shape()
_LONG_TEXT = typing.get_args(models.LongText)[1]


def _walk(annotation: Any) -> typing.Iterator[Any]:
    """Every type an annotation is made of: through Optional, unions, lists and Annotated."""
    yield annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _walk(typing.get_args(annotation)[0])
    elif origin in (Union, types.UnionType, list, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            yield from _walk(arg)


@cache
def fields_of(model: type[BaseModel]) -> dict[str, Shape]:
    """The model's fields in their declared order (pydantic keeps it: inherited fields first)."""
    shapes = {}
    for name, info in model.model_fields.items():
        parts = list(_walk(info.annotation))
        nested = next((p for p in parts if isinstance(p, type) and issubclass(p, BaseModel)), None)
        date = any(p is dt.date for p in parts)
        prose = _LONG_TEXT in info.metadata or any(
            typing.get_origin(p) is typing.Annotated and _LONG_TEXT in p.__metadata__ for p in parts)
        shapes[info.alias or name] = Shape(nested, date, prose)
    return shapes


def model_for(kind: str) -> type[BaseModel] | None:
    return models.RECORD_KINDS.get(kind) or models.SINGLE_FILE_MODELS.get(kind)


# --- the file as a tree, with its comments ------------------------------------------------------


@dataclass(eq=False)
class Scalar:
    value: Any
    style: str | None
    """None for plain, else the quote or block indicator it was written with."""
    text: str
    """As written (for plain numbers: the digits to keep)."""


@dataclass(eq=False)
class Collection:
    mapping: bool
    flow: bool
    slots: list[Slot] = field(default_factory=list)
    holder: Slot | None = None
    """The entry or item whose value it is (None for the document)."""
    footer: list[str] = field(default_factory=list)
    """Comments on lines of their own after its last slot, indented as deep as its slots."""

    @property
    def block(self) -> bool:
        return not self.flow and bool(self.slots)


@dataclass(eq=False)
class Slot:
    """One entry of a mapping (key and value) or one item of a list, with its comments."""

    key: str | None
    value: Scalar | Collection | None
    anchor: int
    """Where it starts in the text: its key, or its `-`."""
    block: bool
    end: int = 0
    parent: Collection | None = None
    leading: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)
    shape: Shape = NO_SHAPE


@dataclass
class Tree:
    root: Scalar | Collection
    header: list[str]
    footer: list[str]
    inline_header: list[str]


_HEADER_LINE = re.compile(r"[ \t]*(#[^\n]*)?(?:\n|$)")
_MAYBE_COMMENT = re.compile(r"(?:^|[ \t])#", re.MULTILINE)


def _comments(text: str) -> tuple[list[tuple[int, str]], list[int]]:
    """Every comment (offset, text without trailing blanks) and the offset of every block list
    item's `-`, from libyaml's tokens: between two tokens there is only white space and comments,
    so a `#` there always starts one; the header line of a block scalar (`>-  # ...`) is the one
    place a comment sits inside a token. The usual file, whose only comments are the lines above
    its first field, is read without the tokens (the dashes are then not needed)."""
    found: list[tuple[int, str]] = []
    at = 0
    while at < len(text):
        line = _HEADER_LINE.match(text, at)
        if line is None or line.end() == at:
            break
        if line.group(1) is None and text[at:line.end()].strip():
            break
        if line.group(1) is not None:
            found.append((line.start(1), line.group(1).rstrip()))
        at = line.end()
    if not _MAYBE_COMMENT.search(text, at):
        return found, []
    found, dashes = [], []

    def gap(start: int, end: int) -> None:
        at = text.find("#", start, end)
        while at >= 0:
            stop = text.find("\n", at, end)
            stop = end if stop < 0 else stop
            found.append((at, text[at:stop].rstrip()))
            at = text.find("#", stop, end)

    done = 0
    for token in yaml.scan(text, Loader=_Loader):
        start = token.start_mark.index
        if start > done:
            gap(done, start)
        kind = type(token)
        if kind is yaml.BlockEntryToken:
            dashes.append(start)
        elif kind is yaml.ScalarToken and token.style in (">", "|"):
            line_end = text.find("\n", start)
            header = text[start:line_end if line_end >= 0 else len(text)]
            match = re.match(r"[>|][-+0-9]*[ \t]+(#.*)$", header)
            if match:
                found.append((start + match.start(1), match.group(1).rstrip()))
        done = max(done, token.end_mark.index)
    if done < len(text):
        gap(done, len(text))
    return found, dashes


def comment_texts(text: str) -> Counter[str]:
    return Counter(comment for _, comment in _comments(text)[0])


def _tree(text: str, dashes: list[int]) -> tuple[Scalar | Collection, int, list[Slot]]:
    """The document as Scalars and Collections of Slots, where it starts, and its block Slots in
    document order. The text has passed io.parse_bytes: no anchors, tags, complex keys or second
    documents."""
    items = iter(dashes)
    stack: list[list[Any]] = []  # [collection, pending key slot, slot holding the collection]
    root: Scalar | Collection | None = None
    root_start = 0
    slots: list[Slot] = []
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            holder = stack.pop()[2]
            if holder is not None:
                holder.end = event.end_mark.index
            continue
        if kind not in (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent):
            continue
        node: Scalar | Collection
        if kind is yaml.ScalarEvent:
            node = Scalar(event.value if event.style else resolve_plain(event.value), event.style,
                          event.value)
        else:
            node = Collection(kind is yaml.MappingStartEvent, bool(event.flow_style))
        start = event.start_mark.index
        slot = None
        if not stack:
            root, root_start = node, start
        else:
            frame = stack[-1]
            parent: Collection = frame[0]
            if parent.mapping and frame[1] is None:  # a key
                slot = Slot(event.value, None, start, not parent.flow, parent=parent)
                parent.slots.append(slot)
                frame[1] = slot
                if slot.block:
                    slots.append(slot)
                continue
            if parent.mapping:
                slot, frame[1] = frame[1], None
                slot.value = node
            else:
                anchor = start if parent.flow else next(items, start)
                slot = Slot(None, node, anchor, not parent.flow, parent=parent)
                parent.slots.append(slot)
                if slot.block:
                    slots.append(slot)
            if kind is yaml.ScalarEvent:
                slot.end = event.end_mark.index
            else:
                node.holder = slot  # type: ignore[union-attr]
        if kind is not yaml.ScalarEvent:
            stack.append([node, None, slot])
    assert root is not None
    return root, root_start, slots


def read_tree(text: str, found: tuple[list[tuple[int, str]], list[int]] | None = None) -> Tree:
    """The tree of a document, each comment attached to the slot it belongs with."""
    comments, dashes = found or _comments(text)
    root, root_start, slots = _tree(text, dashes)
    tree = Tree(root, [], [], [])
    block_root = isinstance(root, Collection) and root.block
    for at, comment in comments:
        line_start = text.rfind("\n", 0, at) + 1
        own_line = not text[line_start:at].strip()
        if not own_line:
            before = [s for s in slots if s.anchor < at]
            if before:
                before[-1].trailing.append(comment)
            else:
                tree.inline_header.append(comment)
            continue
        # Inside the value of a field whose value is one scalar or one flow collection: above it.
        inside = [s for s in slots if s.anchor < at < s.end
                  and not (isinstance(s.value, Collection) and s.value.block)]
        if inside:
            inside[-1].leading.append(comment)
            continue
        following = next((s for s in slots if s.anchor > at), None)
        end_of = _ended(text, at - line_start, [s for s in slots if s.anchor < at], following)
        if end_of is not None and end_of is not root:
            end_of.footer.append(comment)
        elif following is None:
            (tree.footer if block_root or at > root_start else tree.header).append(comment)
        elif following is slots[0] and block_root:
            tree.header.append(comment)
        else:
            following.leading.append(comment)
    if not block_root:  # a lone scalar or flow collection (not a record): comments around it
        tree.header += tree.inline_header
        tree.inline_header = []
    return tree


def _column(text: str, at: int) -> int:
    return at - (text.rfind("\n", 0, at) + 1)


def _ended(text: str, column: int, before: list[Slot], following: Slot | None) -> Collection | None:
    """The block collection a comment line closes: indented deeper than the field that follows it
    (or than the document's edge), it stays at the end of the deepest collection around the field
    before it that is not indented deeper than the comment. None when it goes with what follows."""
    if not before or column <= (_column(text, following.anchor) if following is not None else 0):
        return None
    collection = before[-1].parent
    while collection is not None:
        if collection.block and _column(text, collection.slots[0].anchor) <= column:
            return None if following is not None and following.parent is collection else collection
        collection = collection.holder.parent if collection.holder is not None else None
    return None


def order(node: Scalar | Collection | None, model: type[BaseModel] | None) -> None:
    """Sort mappings into the model's field order (unknown keys after, as written), recursively,
    and give each slot the shape of its field."""
    if not isinstance(node, Collection):
        return
    if node.mapping:
        known = fields_of(model) if model is not None else {}
        rank = {name: i for i, name in enumerate(known)}
        node.slots.sort(key=lambda s: rank.get(s.key, len(rank)))  # stable: unknown keys keep order
        for slot in node.slots:
            shape = known.get(slot.key or "")
            if shape is None:
                style = slot.value.style if isinstance(slot.value, Scalar) else None
                shape = Shape(prose=style in (">", "|"))
            _give(slot, shape)
    else:
        for slot in node.slots:
            _give(slot, Shape(model=model))


def _give(slot: Slot, shape: Shape) -> None:
    slot.shape = shape
    value = slot.value
    if isinstance(value, Collection):
        if value.mapping:
            order(value, shape.model)
        else:
            for item in value.slots:
                item.shape = shape
                if isinstance(item.value, Collection):
                    if item.value.mapping:
                        order(item.value, shape.model)
                    else:
                        _give(item, shape)


# --- scalars ------------------------------------------------------------------------------------

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_STR_TAG = "tag:yaml.org,2002:str"
_YAML11 = yaml.resolver.Resolver()
_YAML11_BOOL_EXTRA = frozenset({"y", "Y", "n", "N"})  # YAML 1.1 booleans PyYAML leaves out
#: What stops a string (with nothing to escape, on one line) from being plain, as PyYAML's emitter
#: decides it (tests/test_fmt.py checks that they agree): an indicator first, `: ` or ` #` inside, a
#: blank at either end; in a flow collection, also any of `,?[]{}:`.
_NOT_BLOCK_PLAIN = re.compile(r"^(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |$))|: |:$| #|^ | $")
_NOT_FLOW_PLAIN = re.compile(r"^(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`?:]|-(?: |$))|[,?\[\]{}:]| #|^ | $")
_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
            "\f": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N",
            "\u2028": "\\L", "\u2029": "\\P"}
_YAML_PRINTABLE = re.compile("[\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ASCII_ESCAPE = re.compile(r"[^ -~]")
_ESCAPE = re.compile("[^ -~\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\ufeff")


def _hidden(char: str) -> bool:
    """Not printable in YAML, a line separator, or an invisible format character: escaped."""
    if char in "\n\t\x85\u2028\u2029\ufeff":
        return True
    if char.isascii():
        return not " " <= char <= "~"
    return not _YAML_PRINTABLE.match(char) or unicodedata.category(char) == "Cf"


def _needs_escape(text: str) -> bool:
    """Whether any character of `text` must be escaped (tab and newline included)."""
    if text.isascii():
        return _ASCII_ESCAPE.search(text) is not None
    if _ESCAPE.search(text) or "\u2028" in text or "\u2029" in text:
        return True
    return any(unicodedata.category(c) == "Cf" for c in text if c > "\x7f")


def plain_ok(text: str, flow: bool = False, date: bool = False) -> bool:
    """Whether `text` can be written without quotes and read back as the same string by YAML 1.2
    and YAML 1.1 readers (dates in date fields excepted: they are dates to both)."""
    if not text or text[0].isspace() or text[-1].isspace() or _needs_escape(text):
        return False
    try:
        if resolve_plain(text) != text:
            return False
    except ValueError:
        return False
    if _DATE.match(text):
        return date
    if text in _YAML11_BOOL_EXTRA or _YAML11.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG:
        return False
    return not (_NOT_FLOW_PLAIN if flow else _NOT_BLOCK_PLAIN).search(text)


def quoted(text: str) -> str:
    """Double quotes, escaping what must be; single quotes where that spares escaping a `"`."""
    if '"' in text and not _needs_escape(text):
        return "'" + text.replace("'", "''") + "'"
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _hidden(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def inline(node: Scalar, shape: Shape, flow: bool) -> str:
    """A scalar on one line."""
    value = node.value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if not isinstance(value, str):  # a number: as it was written
        return node.text
    return value if plain_ok(value, flow, shape.date) else quoted(value)


def key_text(key: str, flow: bool) -> str:
    return key if plain_ok(key, flow) else quoted(key)


def foldable(text: str) -> bool:
    """Whether a folded block scalar (`>-`) reads back exactly `text`: no line of it that starts
    or ends with a blank (of any kind: an editor could trim it), nothing that needs an escape."""
    if not text or text[0] == "\n" or text[-1] == "\n" or _needs_escape(text.replace("\n", "")):
        return False
    return all(not line or not (line[0].isspace() or line[-1].isspace()) for line in text.split("\n"))


_BREAK = re.compile(r"(?<=\S) (?=\S)")


def fold(text: str, width: int) -> list[str]:
    """The lines of `text` as a folded scalar: words joined up to `width` columns, broken only at
    a single space; n line breaks in the text are n empty lines."""
    lines: list[str] = []
    for part in re.split(r"(\n+)", text):
        if part.startswith("\n"):
            lines.extend([""] * len(part))
            continue
        words = _BREAK.split(part)
        line = words[0]
        for word in words[1:]:
            if len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


# --- the layout ---------------------------------------------------------------------------------


def _flow(node: Scalar | Collection | None, shape: Shape) -> str:
    if isinstance(node, Scalar) or node is None:
        return inline(node or Scalar(None, None, ""), shape, flow=True)
    if node.mapping:
        return "{" + ", ".join(f"{key_text(s.key or '', True)}: {_flow(s.value, s.shape)}"
                               for s in node.slots) + "}"
    return "[" + ", ".join(_flow(s.value, s.shape) for s in node.slots) + "]"


_OWN: Any = object()


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comments(self, indent: int, comments: list[str]) -> None:
        self.lines.extend(" " * indent + c for c in comments)

    def line(self, text: str, comment: str | None) -> None:
        self.lines.append(text + (COMMENT_GAP + comment if comment else ""))

    def collection(self, node: Collection, indent: int, skip: int = 0) -> None:
        for slot in node.slots[skip:]:
            self.slot(slot, indent)
        self.comments(indent, node.footer)

    def slot(self, slot: Slot, indent: int, prefix: str | None = None, comment: Any = _OWN) -> None:
        """One entry or item at `indent`. `prefix` stands in for the indentation of its first line
        (the `- ` of the list item it opens), and `comment` is then the one at the end of that
        line: the list item has written the comments above it."""
        head = prefix if prefix is not None else " " * indent
        if comment is _OWN:
            before, after = first_line_comments(slot)
            self.comments(indent, before + after[1:])
            comment = after[0] if after else None
        value = slot.value
        if slot.key is not None:
            head += key_text(slot.key, False) + ":"
            if isinstance(value, Collection) and value.block:
                self.line(head, comment)
                self.collection(value, indent + 2)
                return
            head += " "
        else:
            head += "- "
            if isinstance(value, Collection) and value.block:  # `- key: ...`, `- - item`
                self.slot(value.slots[0], indent + 2, head, comment)
                self.collection(value, indent + 2, skip=1)
                return
        if isinstance(value, Collection):
            self.line(head + _flow(value, slot.shape), comment)
            return
        scalar = value or Scalar(None, None, "")
        one = inline(scalar, slot.shape, flow=False)
        text = scalar.value
        if (slot.shape.prose and isinstance(text, str) and ("\n" in text or len(head) + len(one) > WIDTH)
                and foldable(text)):
            self.line(head + ">-", comment)
            width = max(WIDTH - indent - 2, MIN_TEXT_WIDTH)
            self.lines.extend(" " * (indent + 2) + line if line else "" for line in fold(text, width))
        else:
            self.line(head + one, comment)


def first_line_comments(slot: Slot) -> tuple[list[str], list[str]]:
    """The comments above and at the end of a slot's first line: a list item whose value is a
    block collection shares its first line with that collection's first slot (`- kind: ...`)."""
    before, after = list(slot.leading), list(slot.trailing)
    value = slot.value
    if slot.key is None and isinstance(value, Collection) and value.block:
        more_before, more_after = first_line_comments(value.slots[0])
        before += more_before
        after += more_after
    return before, after


def layout(tree: Tree) -> str:
    """The canonical text of a tree whose mappings are in order."""
    out = _Writer()
    out.comments(0, tree.header)
    root = tree.root
    if isinstance(root, Collection) and root.block:
        out.comments(0, tree.inline_header)
        out.collection(root, 0)
    else:
        line = _flow(root, NO_SHAPE) if isinstance(root, Collection) else inline(root, NO_SHAPE, False)
        out.line(line, None)
    out.comments(0, tree.footer)
    return "\n".join(out.lines) + "\n"


# --- one file -----------------------------------------------------------------------------------


def _refusal(problem: Problem) -> Refused:
    return Refused(problem.path, problem.line, problem.column, problem.message)


def _difference(old: Any, new: Any, loc: tuple = ()) -> tuple | None:
    """Where two parsed documents first differ (types count: 1, 1.0 and true are different), or
    None when they are the same."""
    if type(old) is not type(new):
        return loc
    if isinstance(old, dict):
        for key in old:
            if key not in new:
                return loc + (key,)
            found = _difference(old[key], new[key], loc + (key,))
            if found is not None:
                return found
        extra = [k for k in new if k not in old]
        return loc + (extra[0],) if extra else None
    if isinstance(old, list):
        for index, (a, b) in enumerate(zip(old, new)):
            found = _difference(a, b, loc + (index,))
            if found is not None:
                return found
        return None if len(old) == len(new) else loc + (min(len(old), len(new)),)
    if isinstance(old, float) and old != old:
        return None if new != new else loc
    return None if old == new else loc


def _text(raw: bytes) -> str:
    """The text as io.parse_bytes reads it (it has decoded it already)."""
    text = raw.decode("utf-8")
    return (text[1:] if text.startswith("\ufeff") else text).replace("\r\n", "\n")


def format_bytes(raw: bytes, where: str, model: type[BaseModel] | None) -> str:
    """The canonical text of a file's bytes, or Refused (located) when it cannot be given safely."""
    before = parse_bytes(raw, where)
    if before.problems:
        raise _refusal(before.problems[0])
    text = _text(raw)
    directive = re.search(r"^%", text, re.MULTILINE)
    if directive and _is_directive(text, directive.start()):
        line = text.count("\n", 0, directive.start()) + 1
        raise Refused(where, line, 1, "a %YAML or %TAG directive: fmt does not keep directives "
                                      "(records are read as YAML 1.2 anyway); remove it")
    found = _comments(text)
    tree = read_tree(text, found)
    order(tree.root, model)
    new = layout(tree)
    check_same(before, Counter(c for _, c in found[0]), text, new, where)
    return new


def _is_directive(text: str, at: int) -> bool:
    return any(type(t) is yaml.DirectiveToken and t.start_mark.index == at
               for t in yaml.scan(text, Loader=_Loader))


def check_same(before: Document, old_comments: Counter[str], old_text: str, new_text: str,
               where: str) -> None:
    """Refuse (Refused) unless `new_text` reads back as the same data, with the same comments."""
    after = parse_bytes(new_text.encode("utf-8"), where)
    if after.problems:
        problem = after.problems[0]
        raise Refused(where, 1, 1, f"formatting would give a file that does not read back "
                                   f"({problem.message}); the file is left as it is (a bug in fmt: "
                                   "please report it)")
    loc = _difference(before.data, after.data)
    if loc is not None:
        line, column = before.locate(loc)
        field_name = format_field(loc) or "the document"
        raise Refused(where, line, column, f"formatting would change {field_name}; the file is left "
                                           "as it is (a bug in fmt: please report it)")
    new_comments = comment_texts(new_text)
    if new_comments != old_comments:
        lost = old_comments - new_comments
        missing = next(iter(lost), None) if lost else None
        at = old_text.find(missing) if missing else -1
        line = old_text.count("\n", 0, at) + 1 if at >= 0 else 1
        what = f"the comment '{missing}'" if missing else "a comment"
        raise Refused(where, line, 1, f"formatting would lose or alter {what}; the file is left as "
                                      "it is (a bug in fmt: please report it)")


# --- files of a dataset -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What fmt did (or would do) to one file."""

    path: Path
    shown: str
    changed: bool = False
    error: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.changed and not o.error]

    @property
    def unchanged(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.changed and not o.error]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]


def kind_by_place(path: Path) -> str | None:
    """Which kind of record a file is by where it stands, as scan() names the dataset's files:
    `<kind>/<id>.yaml` for the registries, `vocabularies/sectors.yaml` and the like for the rest."""
    if path.suffix != ".yaml" or path.name.startswith("."):
        return None
    if path.parent.name in models.RECORD_KINDS:
        return path.parent.name
    posix = path.as_posix()
    for kind, relative in SINGLE_FILES.items():
        if posix == relative or posix.endswith("/" + relative):
            return kind
    return None


def files_named(paths: list[Path]) -> list[DataFile]:
    """The dataset files named on the command line; UsageError (exit 2) for anything else."""
    chosen: list[DataFile] = []
    seen = set()
    for path in paths:
        where = shown(path)
        if path.is_symlink():
            raise UsageError(f"{where}: a symbolic link, not a file of the dataset",
                             hint="name the file itself")
        if not path.exists():
            raise UsageError(f"no such file: {where}")
        if not path.is_file():
            raise UsageError(f"{where}: not a file of the dataset",
                             hint="name YAML files; run `sanctions fmt` without a PATH for the whole dataset")
        kind = kind_by_place(path.resolve())
        if kind is None:
            raise UsageError(f"{where}: not a YAML file of the dataset",
                             hint="records are <id>.yaml files in measures/, sources/ or instruments/; "
                                  "the others are " + ", ".join(SINGLE_FILES.values()))
        if path.resolve() not in seen:
            seen.add(path.resolve())
            chosen.append(DataFile(kind, path, where))
    return chosen


def format_file(data_file: DataFile, check: bool = False) -> Outcome:
    """Format one file in place (or, with `check`, only say whether it would change)."""
    path = data_file.path
    outcome = Outcome(path, shown(path))
    try:
        raw, _ = read_regular(path)
    except Unreadable as exc:
        outcome.error = f"{outcome.shown}:1:1: {exc.strerror}"
        return outcome
    try:
        new = format_bytes(raw, outcome.shown, model_for(data_file.kind))
    except Refused as exc:
        outcome.error = str(exc)
        return outcome
    data = new.encode("utf-8")
    outcome.changed = data != raw
    if outcome.changed and not check:
        try:
            now, _ = read_regular(path)
        except Unreadable as exc:
            outcome.error = f"{outcome.shown}:1:1: {exc.strerror}"
            return outcome
        if now != raw:
            outcome.error = (f"{outcome.shown}:1:1: the file changed while it was being formatted; "
                             "it is left as it is (run fmt again)")
            return outcome
        try:
            write_atomic(path, new)
        except OSError as exc:
            outcome.error = f"{outcome.shown}:1:1: cannot write: {exc.strerror or exc}"
    return outcome


def format_files(root: Path | None, paths: list[Path] | None = None, check: bool = False) -> Report:
    """Format the named files, or every file of the dataset at `root` (the files scan() finds:
    what it reports as not being the dataset's, `validate` reports)."""
    if paths:
        chosen = files_named(paths)
    else:
        assert root is not None
        chosen, _ = scan(root)
    return Report([format_file(f, check) for f in chosen])
