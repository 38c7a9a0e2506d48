"""The tables as pandas DataFrames, each checked by a pandera DataFrameModel.

The models are generated from the table spec in flat_tables.py (one source of truth for columns,
types and keys) and add what analysts rely on: keys unique, references resolve, codes in their
vocabulary, dates in order. pandas and pandera are imported only here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from . import vocab
from .errors import SanctionsError
from .flat_tables import TABLES, Table

_TYPES: dict[str, Any] = {"VARCHAR": str, "JSON": str, "DATE": pd.Timestamp, "INTEGER": np.int32,
                          "BOOLEAN": bool, "DOUBLE": float}

#: Closed vocabularies, by (table, column).
VOCABULARIES: dict[tuple[str, str], vocab.Vocabulary] = {
    ("authorities", "kind"): vocab.AUTHORITY_KINDS,
    ("measure_types", "code"): vocab.MEASURE_TYPES,
    ("measure_types", "category"): vocab.CATEGORIES,
    ("measures", "type"): vocab.MEASURE_TYPES,
    ("measures", "category"): vocab.CATEGORIES,
    ("event_kinds", "code"): vocab.EVENT_KINDS,
    ("events", "kind"): vocab.EVENT_KINDS,
    ("events", "date_basis"): vocab.DATE_BASES,
    ("undated_events", "kind"): vocab.EVENT_KINDS,
    ("sources", "kind"): vocab.SOURCE_KINDS,
    ("instruments", "kind"): vocab.INSTRUMENT_KINDS,
    ("goods", "system"): vocab.GOODS_SYSTEMS,
    ("links", "relation"): vocab.LINK_RELATIONS,
    ("citations", "record_kind"): vocab.CITING_KINDS,
    ("status_history", "status"): vocab.STATUSES,
    ("coverage", "status"): vocab.COVERAGE_STATUSES,
}

#: Date columns that must be in order, by table: (earlier, later, may they be equal?).
DATE_ORDER: dict[str, tuple[str, str, bool]] = {
    "status_history": ("valid_from", "valid_to", False),
    "sources": ("published", "accessed", True),
    "instruments": ("date", "published", True),
}


class TableError(SanctionsError):
    """A table handed to analysts failed its checks (a bug in the build, or a corrupt cache)."""


def _in_order(earlier: str, later: str, equal_ok: bool):
    def check(cls, df: pd.DataFrame) -> pd.Series:
        ordered = df[earlier] <= df[later] if equal_ok else df[earlier] < df[later]
        return df[earlier].isna() | df[later].isna() | ordered
    return check


def _unique(keys: tuple[str, ...]):
    def check(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(subset=list(keys), keep=False)
    return check


def _resolves(own: tuple[str, ...], parent: pd.DataFrame, theirs: tuple[str, ...]):
    wanted = set(map(tuple, parent[list(theirs)].itertuples(index=False, name=None)))

    def check(cls, df: pd.DataFrame) -> pd.Series:
        rows = df[list(own)].itertuples(index=False, name=None)
        return pd.Series([any(pd.isna(v) for v in row) or row in wanted for row in rows], index=df.index)
    return check


def model(table: Table, frames: dict[str, pd.DataFrame]) -> type[pa.DataFrameModel]:
    """The DataFrameModel of one table; reference checks use the parent tables in `frames`."""
    annotations: dict[str, Any] = {}
    attrs: dict[str, Any] = {}
    for column in table.columns:
        annotations[column.name] = Series[_TYPES[column.type]]
        allowed = VOCABULARIES.get((table.name, column.name))
        allowed = list(allowed.codes) if allowed else None
        attrs[column.name] = pa.Field(nullable=column.nullable, isin=allowed, description=column.doc)
    attrs["key_is_unique"] = pa.dataframe_check(classmethod(_unique(table.primary_key)),
                                                name=f"primary key ({', '.join(table.primary_key)}) unique")
    for n, (own, other, theirs) in enumerate(table.foreign_keys):
        attrs[f"reference_{n}"] = pa.dataframe_check(
            classmethod(_resolves(own, frames[other], theirs)),
            name=f"({', '.join(own)}) resolves in {other}")
    if table.name in DATE_ORDER:
        earlier, later, equal_ok = DATE_ORDER[table.name]
        attrs["dates_in_order"] = pa.dataframe_check(classmethod(_in_order(earlier, later, equal_ok)),
                                                     name=f"{earlier} before {later}")
    attrs["__annotations__"] = annotations
    attrs["__doc__"] = table.doc
    attrs["Config"] = type("Config", (), {"strict": True, "coerce": True, "name": table.name})
    return type(table.name.title().replace("_", ""), (pa.DataFrameModel,), attrs)


def check(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Validate every table (parents first); TableError names the first failing checks."""
    checked: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        try:
            checked[table.name] = model(table, checked).validate(frames[table.name], lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            failed: dict[str, Any] = {}
            for name, value in zip(cases["check"], cases["failure_case"], strict=True):
                failed.setdefault(str(name), value)
            raise TableError(f"table {table.name}: checks failed: " + "; ".join(
                f"{name} (e.g. {value!r})" for name, value in sorted(failed.items())[:4])) from None
    return checked


def load_frames(con: Any) -> dict[str, pd.DataFrame]:
    """Every table of the database as a checked DataFrame."""
    return check({t.name: con.execute(f"SELECT * FROM {t.name}").df() for t in TABLES})
