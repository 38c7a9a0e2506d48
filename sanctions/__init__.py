"""sanctions: an open, typed, sourced dataset of economic-sanction measures.

The Python API: `load()` (typed records), `connect()` (read-only DuckDB), `tables()` (pandas
DataFrames checked by pandera) and `query(...)` (the CLI's filters). Imports are lazy so that
`import sanctions` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from .dataset import Dataset


def load(data: Any = None) -> Dataset:
    """Every record of the dataset as typed models; raises DataError if any file is invalid."""
    from .files import resolve_data_dir
    from .validate import load_valid

    return load_valid(resolve_data_dir(data))


def connect(data: Any = None) -> Any:
    """A read-only DuckDB connection to the dataset (cached; no files, network or extensions)."""
    from .cache import connect as cached
    from .files import resolve_data_dir

    return cached(resolve_data_dir(data))


def tables(data: Any = None) -> dict[str, Any]:
    """Every table as a pandas DataFrame, checked by its pandera DataFrameModel."""
    from .frames import load_frames

    return load_frames(connect(data))


def query(data: Any = None, **filters: Any) -> Any:
    """Measures matching the CLI's filters, as a pandas DataFrame (one row per measure).

    Keywords are the filters of `sanctions query` (see `sanctions.filters.FILTERS`): sector,
    authority, target, type, status, hs, instrument, actor, source, in_force_on, date_from,
    date_to, search. Each takes a value or a list: values of one filter widen, different filters
    narrow. Dates are `datetime.date` or 'YYYY-MM-DD'. Bad values raise UsageError as in the CLI.
    """
    from .queries import measures_sql, select

    con = connect(data)
    sql, params = measures_sql(select(con, filters))
    return con.execute(sql, params).df()


def _query_signature() -> Any:
    """query()'s signature lists every filter keyword, derived from filters.FILTERS."""
    import inspect

    from .filters import FILTERS

    params = [inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    params += [inspect.Parameter(f.key, inspect.Parameter.KEYWORD_ONLY, default=None) for f in FILTERS]
    return inspect.Signature(params)


query.__signature__ = _query_signature()  # type: ignore[attr-defined]
