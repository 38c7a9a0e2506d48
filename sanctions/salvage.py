"""The valid part of an invalid record, so that one `validate` run reports every problem.

A record with a bad date or an unknown field used to stop there: the rules across records (an
unknown authority, a missing instrument or source, the primary-text rule) only ran once it was
fixed, and a contributor needed several rounds. Here the parts the model refuses are dropped —
an unknown key, a bad optional value, or the list item that holds a bad required value — until
the rest validates. The problems of the dropped parts are already reported; the rules then run on
what remains, located in the file as written (indices are mapped back past dropped items). A
required list or text field with nothing valid is left empty; a bad ID, required date or
sub-record leaves the record unsalvaged. Counting rules (an unused source, say)
still wait for a valid dataset, since a dropped part may be what cited it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Annotated, Any

Path_ = tuple[str | int, ...]
MAX_STEPS = 200  # drops per record: a bound, not a limit anyone meets


class _Map:
    """Paths in the salvaged data -> paths in the file, past the list items dropped."""

    def __init__(self, original: Any):
        self.original = original
        self.dropped: set[Path_] = set()

    def __call__(self, path: Path_) -> Path_:
        node, out = self.original, ()
        for part in path:
            if isinstance(part, int) and isinstance(node, list):
                kept = [i for i in range(len(node)) if out + (i,) not in self.dropped]
                if part >= len(kept):
                    return out
                part = kept[part]
                node = node[part]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return out + (part,)
            out += (part,)
        return out


def _existing(data: Any, loc: tuple) -> Path_:
    """The longest prefix of a validation error's location that exists in the data (pydantic
    adds union member names and the name of a missing key)."""
    node, out = data, ()
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        out += (part,)
    return out


_NOTHING = object()


def _valid_part(adapter: Any, value: Any, at: Path_, mapping: _Map) -> Any:
    """The value with what does not validate dropped, or _NOTHING when nothing of it does."""
    from pydantic import ValidationError

    for _ in range(MAX_STEPS):
        try:
            return adapter.validate_json(json.dumps(value))  # JSON mode, as dataset.py validates
        except ValidationError as exc:
            error = exc.errors()[0]
        # A bad or unknown key is dropped; a missing required key (pydantic names it, the data
        # lacks it) drops the container that lacks it, since only the key's prefix exists.
        loc = _existing(value, tuple(error["loc"]))
        if not loc:
            return _NOTHING
        parent = value
        for part in loc[:-1]:
            parent = parent[part]
        if isinstance(parent, list):
            mapping.dropped.add(mapping(at + loc))
        del parent[loc[-1]]
    return _NOTHING


def salvage(model: Any, data: Any) -> tuple[Any, Callable[[Path_], Path_]] | None:
    """(a record built from what validates, field by field, and a path mapper), or None when the
    file is not a mapping. A required list or text field with nothing valid is empty ([] or None);
    model-level rules are not applied: the problems are reported already, and the record only
    feeds the rules across records."""
    from pydantic import TypeAdapter

    if not isinstance(data, dict):
        return None
    mapping = _Map(data)
    fields = {}
    for name, value in data.items():
        info = model.model_fields.get(name) if isinstance(name, str) else None
        if info is None:
            continue  # an unknown field
        field_type = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        kept = _valid_part(TypeAdapter(field_type), copy.deepcopy(value), (name,), mapping)
        if kept is not _NOTHING:
            fields[name] = kept
    for name, f in model.model_fields.items():  # a bad required field: empty, for the rules
        if f.is_required() and name not in fields:
            if getattr(f.annotation, "__origin__", None) is list:
                fields[name] = []
            elif name != "id" and isinstance(f.annotation, type) and issubclass(f.annotation, str):
                fields[name] = None  # a title, a code, a type: the rules skip what is None
            else:
                return None  # the ID, a date, a sub-record: no record rather than a hollow one
    return model.model_construct(**fields), mapping
