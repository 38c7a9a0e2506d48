"""The `sanctions` command: a thin layer over the library API.

Every command takes --data DIR (or SANCTIONS_DATA) and --debug. Errors are one line on stderr;
exit codes are 0 success, 1 invalid data or failed query, 2 bad usage. Heavy modules (pandas,
pandera, duckdb, pydantic, jsonschema) are imported inside the commands that need them, so start-up
stays light.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import SanctionsError

T = TypeVar("T")


class OneLineErrors(typer.core.TyperGroup):
    """Usage errors as one line on stderr (`error: ...`), exit code 2, like every other error."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            typer.echo("aborted", err=True)
            code = 1
        except Exception as exc:
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                raise
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `sanctions`: help, as usage
                typer.echo(exc.format_message())
                sys.exit(2)
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"error: {exc.format_message()}{where}", err=True)
            code = exc.exit_code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="sanctions",
    help="An open, typed, sourced dataset of economic-sanction measures.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DataOpt = Annotated[
    Path | None,
    typer.Option("--data", metavar="DIR", envvar="SANCTIONS_DATA", show_envvar=True,
                 help="Dataset folder to use instead of the shipped one.", file_okay=False),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def run(debug: bool, body: Callable[[], T]) -> T:
    """Turn SanctionsError into a one-line message and its exit code; tracebacks only with --debug."""
    try:
        return body()
    except SanctionsError as exc:
        if debug:
            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug, not bad input: still one line unless asked
        if debug:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)",
                   err=True)
        raise typer.Exit(1) from None


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[PATH ...]", help="Check only these files, against the rest of the dataset.")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="text or json.")] = ReportFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check the dataset (or the named files): one line per problem, PATH:LINE:COLUMN: FIELD: MESSAGE."""
    from .files import resolve_data_dir
    from .validate import validate as check

    problems = run(debug, lambda: check(resolve_data_dir(data), list(paths or [])))
    if format is ReportFormat.json:
        echo_json([p.as_dict() for p in problems])
    else:
        for problem in problems:
            typer.echo(problem.format())
    if problems:
        files = len({p.path for p in problems})
        typer.echo(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files} "
                   f"file{'s' * (files != 1)}", err=True)
        raise typer.Exit(1)


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if schemas/ differs from the models.")] = False,
    write: Annotated[bool, typer.Option("--write", help="Regenerate schemas/ from the models.")] = False,
    out: Annotated[Path | None, typer.Option("--dir", metavar="DIR", file_okay=False,
                                             help="Schema folder (default: the package's schemas/).")] = None,
    debug: DebugOpt = False,
) -> None:
    """Check or regenerate the JSON Schemas in schemas/ (generated from the models)."""
    from . import schema as schemas
    from .files import default_schema_dir

    if check == write:
        typer.echo("error: give exactly one of --check or --write", err=True)
        raise typer.Exit(2)
    directory = out or default_schema_dir()
    if check:
        stale = run(debug, lambda: schemas.differences(directory))
        for name in stale:
            typer.echo(f"{directory / name}: differs from the models (run `sanctions schema --write`)")
        raise typer.Exit(1 if stale else 0)
    changed = run(debug, lambda: schemas.write(directory))
    for name in changed:
        typer.echo(f"wrote {directory / name}")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    ndjson = "ndjson"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"
    yaml = "yaml"


FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json, csv or ndjson.")]


def _connect(data: Path | None) -> Any:
    from .cache import connect
    from .files import resolve_data_dir

    return connect(resolve_data_dir(data))


def _list(select: Callable[..., tuple[list[str], list[tuple]]], data: Path | None, debug: bool,
          fmt: OutputFormat, table_columns: list[str], **filters: Any) -> None:
    """Parse the filters, run `select` on the database, print its rows: query and timeline."""
    from .queries import make_filters

    columns, rows = run(debug, lambda: select(_connect(data), make_filters(**filters)))
    _emit(columns, rows, fmt, table_columns)


def _emit(columns: list[str], rows: list[tuple], fmt: OutputFormat,
          table_columns: list[str] | None = None) -> None:
    from .render import render

    typer.echo(render(columns, rows, fmt.value, table_columns), nl=False)


Codes = list[str] | None
SectorOpt = Annotated[Codes, typer.Option("--sector", metavar="CODE", help="Sector code, e.g. seafood.")]
AuthorityOpt = Annotated[Codes, typer.Option("--authority", metavar="CODE", help="Who imposed it: US, EU, G7...")]
TargetOpt = Annotated[Codes, typer.Option("--target", metavar="CODE", help="Targeted state or organisation: RU, BY...")]
TypeOpt = Annotated[Codes, typer.Option("--type", metavar="CODE", help="Measure type, e.g. import_ban.")]
SearchOpt = Annotated[str | None, typer.Option(
    "--search", metavar="TEXT", help="Text in the ID, title, summary, notes or named targets.")]


@app.command()
def query(
    sector: SectorOpt = None,
    authority: AuthorityOpt = None,
    target: TargetOpt = None,
    type: TypeOpt = None,
    status: Annotated[Codes, typer.Option("--status", metavar="CODE", help="Status today: threatened, in_force...")] = None,
    hs: Annotated[Codes, typer.Option("--hs", metavar="CODE", help="Goods code (HS chapter, heading...), e.g. 0302.")] = None,
    in_force_on: Annotated[str | None, typer.Option(
        "--in-force-on", metavar="DATE", help="In force on this day (YYYY-MM-DD).")] = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", metavar="DATE", help="With an event on or after this day.")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", metavar="DATE", help="With an event on or before this day.")] = None,
    search: SearchOpt = None,
    format: FormatOpt = OutputFormat.table,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List measures. Repeating a filter widens it; different filters narrow."""
    from .queries import select_measures

    _list(select_measures, data, debug, format, ["id", "status", "title"],
          sector=sector, authority=authority, target=target, type=type, status=status, hs=hs,
          in_force_on=in_force_on, date_from=date_from, date_to=date_to, search=search)


@app.command()
def timeline(
    sector: SectorOpt = None,
    authority: AuthorityOpt = None,
    target: TargetOpt = None,
    type: TypeOpt = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", metavar="DATE", help="Events on or after this day.")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", metavar="DATE", help="Events on or before this day.")] = None,
    search: SearchOpt = None,
    format: FormatOpt = OutputFormat.table,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Events of the selected measures, in date order; --from/--to bound the events themselves."""
    from .queries import timeline as events

    _list(events, data, debug, format, ["date", "kind", "measure_id", "title"],
          sector=sector, authority=authority, target=target, type=type,
          date_from=date_from, date_to=date_to, search=search)


@app.command()
def show(
    measure_id: Annotated[str, typer.Argument(metavar="ID", help="Measure ID.")],
    format: Annotated[ShowFormat, typer.Option("--format", help="text, json or yaml.")] = ShowFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """One measure with its events, instruments, sources and links."""
    from .queries import show as detail
    from .render import measure_text

    result = run(debug, lambda: detail(_connect(data), measure_id))
    if format is ShowFormat.json:
        echo_json(result)
    elif format is ShowFormat.yaml:
        import yaml

        typer.echo(yaml.safe_dump(result, sort_keys=False, allow_unicode=True, width=100), nl=False)
    else:
        typer.echo(measure_text(result), nl=False)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(metavar="QUERY", help="One SELECT statement.")],
    format: FormatOpt = OutputFormat.table,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Run read-only SQL on the dataset's tables and views (nothing outside them is reachable)."""
    from .queries import run_sql

    columns, rows = run(debug, lambda: run_sql(_connect(data), statement))
    _emit(columns, rows, format)


@app.command()
def stats(
    format: Annotated[ReportFormat, typer.Option("--format", help="text or json.")] = ReportFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Counts of records, and of measures by authority, type, category, status and sector."""
    from .queries import stats as counts

    result = run(debug, lambda: counts(_connect(data)))
    if format is ReportFormat.json:
        echo_json(result)
        return
    for key, value in result.items():
        if isinstance(value, dict):
            typer.echo(f"{key.replace('_', ' ')}:")
            for name, number in value.items():
                typer.echo(f"  {name:<34} {number:>5}")
        else:
            typer.echo(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")


def main() -> None:
    app(prog_name="sanctions")
