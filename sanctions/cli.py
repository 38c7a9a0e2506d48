"""The `sanctions` command: a thin layer over the library API.

Every data command takes --data DIR (or SANCTIONS_DATA) and --debug. The one error boundary is
`Boundary.main`: a SanctionsError becomes one line on stderr with its exit code (1 invalid data or
failed query, 2 bad usage), Ctrl-C exits 130, a bug is one line too unless --debug asks for the
traceback. Heavy modules (pandas, pandera, pydantic, jsonschema) are imported inside the commands
that need them, so start-up stays light.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import SanctionsError
from .filters import FILTERS
from .limits import SQL_TIMEOUT
from .render import REPORT, ROWS, Format, safe


#: click's exception classes, reached through typer's public BadParameter (typer vendors click).
_ClickException = typer.BadParameter.__mro__[2]
assert _ClickException.__name__ == "ClickException"


class Boundary(typer.core.TyperGroup):
    """The CLI's one error boundary: every error is one line on stderr with its exit code."""

    def main(self, args: list[str] | None = None, *rest: Any, standalone_mode: bool = True,
             **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        for arg in argv:
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
                _error(f"error: an argument is not valid UTF-8: {shown} (hint: give arguments in UTF-8)")
                sys.exit(2)
        try:
            code = super().main(argv, *rest, standalone_mode=False, **kwargs)
        except SanctionsError as exc:
            if debug:
                traceback.print_exc()
            _error(f"error: {exc}")
            code = exc.exit_code
        except _ClickException as exc:
            if not argv:  # bare `sanctions`: the help, as a usage error
                typer.echo(exc.format_message())
                sys.exit(2)
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            _error(f"error: {exc.format_message()}{where}")
            code = exc.exit_code
        except Exception as exc:  # a bug, not bad input: still one line unless asked
            if debug:
                raise
            _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)")
            code = 1
        sys.exit(code if isinstance(code, int) else 0)


    def invoke(self, ctx: Any) -> Any:
        """Ctrl-C anywhere in a command: one line, exit 130 (typer would exit silently)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _error("interrupted")
            raise typer.Exit(130) from None


def _error(message: str) -> None:
    typer.echo(safe(message), err=True)


app = typer.Typer(
    cls=Boundary,
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
WideOpt = Annotated[bool, typer.Option("--wide", help="Tables: cut nothing, whatever the terminal's width.")]


def formats(name: str, allowed: tuple[Format, ...]) -> type[StrEnum]:
    """The choices of one command's --format: a subset of render.Format."""
    return StrEnum(name, [(f.value, f.value) for f in allowed])


RowFormat = formats("RowFormat", ROWS)
ReportFormat = formats("ReportFormat", REPORT)
ShowFormat = formats("ShowFormat", (Format.text, Format.json, Format.yaml))


def format_option(choices: type[StrEnum]) -> Any:
    return Annotated[choices, typer.Option("--format", help="Output format.")]


RowFormatOpt = format_option(RowFormat)
ReportFormatOpt = format_option(ReportFormat)
ShowFormatOpt = format_option(ShowFormat)


def with_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the query filters (filters.FILTERS) as options before the command's own parameters."""
    own = list(inspect.signature(command, eval_str=True).parameters.values())
    params = []
    for f in FILTERS:  # every option takes a list: a repeated single-value filter is an error
        option = typer.Option(f.option, metavar=f.metavar, help=f.help + (" Repeat to widen." if f.many else ""))
        params.append(inspect.Parameter(f.key, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[list[str] | None, option]))
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own
           if p.kind is not inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = inspect.Signature(params + own)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params + own}
    return command


def _connect(data: Path | None) -> Any:
    from .cache import connect
    from .files import resolve_data_dir

    return connect(resolve_data_dir(data))


def _filters(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {f.key: kwargs.pop(f.key) for f in FILTERS}


def _emit(columns: list[str], rows: list[tuple], fmt: Any, *, empty: str | None = None,
          **table: Any) -> None:
    """Print rows; an empty result is one line on stderr ('no measures match …'), `[]` in JSON."""
    from .render import render

    fmt = Format(fmt.value)
    if not rows and empty is not None:
        typer.echo(empty, err=True)
        if fmt is Format.table or fmt is Format.ndjson:
            return
    typer.echo(render(columns, rows, fmt, **table), nl=False)


def _emit_answer(con: Any, asked: Any, fmt: Any, *, empty: str,
                 adjust: Any = None, **table: Any) -> None:
    """Print the answer to `asked` (queries.Asked): in JSON as DuckDB writes it where it can,
    the same text without the rows' round trip through Python; else its rows, `adjust`ed."""
    if Format(fmt.value) is Format.json and (text := asked.json(con)) is not None:
        if text == b"[]\n":
            typer.echo(empty, err=True)
        typer.echo(text, nl=False)
        return
    columns, rows = asked.rows(con)
    _emit(columns, adjust(columns, rows) if adjust else rows, fmt, empty=empty, **table)


def _nothing(what: str, selection: Any) -> str:
    described = selection.describe()
    return f"no {what} match {described}" if described else f"no {what} in the dataset"


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[PATH ...]", help="Check only these files, against the rest of the dataset.")] = None,
    format: ReportFormatOpt = ReportFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check the dataset (or the named files): one line per problem, PATH:LINE:COLUMN: FIELD: MESSAGE."""
    from .files import elsewhere, resolve_data_dir
    from .render import to_json
    from .validate import validate as check

    root = resolve_data_dir(data)
    other = elsewhere(root, data)
    if other:
        _error(f"note: {other[0]} (hint: {other[1]})")
    report = check(root, list(paths or []))
    problems = report.problems
    if format.value == Format.json:
        typer.echo(to_json([p.as_dict() for p in problems]), nl=False)
    else:
        for problem in problems:
            typer.echo(safe(problem.format()))
    if problems:
        files = len({p.path for p in problems})
        typer.echo(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files} "
                   f"file{'s' * (files != 1)}", err=True)
        raise typer.Exit(1)
    _error(f"valid: {report.checked}")


@app.command()
def fmt(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[PATH ...]", help="Format only these files of the dataset.")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing: list the files that would change, exit 1 if any.")] = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Put records in their canonical layout (key order, quoting, wrapping), keeping comments. A
    file is written only when it reads back as exactly the same data, atomically; one that does not
    parse is left as it is, with an error."""
    from .errors import UsageError
    from .files import elsewhere, resolve_data_dir
    from .fmt import format_files

    root = None
    if not paths:
        root = resolve_data_dir(data)
        other = elsewhere(root, data)
        if other and not check:
            raise UsageError(other[0], hint="pass --data to say which dataset to format")
        if other:
            _error(f"note: {other[0]} (hint: {other[1]})")
    report = format_files(root, list(paths or []), check=check)
    for outcome in report.outcomes:
        if outcome.error:
            _error(outcome.error)
        elif outcome.changed:
            typer.echo(safe(f"{'would reformat' if check else 'reformatted'} {outcome.shown}"))
    changed, unchanged, failed = len(report.changed), len(report.unchanged), len(report.errors)
    summary = (f"{changed} file{'s' * (changed != 1)} {'would be ' if check else ''}reformatted, "
               f"{unchanged} unchanged")
    _error(summary + (f", {failed} not formatted (see above)" if failed else ""))
    raise typer.Exit(1 if failed or (check and changed) else 0)


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
    from .errors import UsageError
    from .files import default_schema_dir

    if check == write:
        raise UsageError("give exactly one of --check or --write")
    directory = out or default_schema_dir()
    if check:
        stale = schemas.differences(directory)
        for name in stale:
            typer.echo(f"{directory / name}: differs from the models (run `sanctions schema --write`)")
        raise typer.Exit(1 if stale else 0)
    for name in schemas.write(directory):
        typer.echo(f"wrote {directory / name}")


#: What `query` shows in a table (JSON, CSV and NDJSON carry every column).
QUERY_TABLE = ["id", "authority", "status", "in_force", "title"]
QUERY_HEADERS = {"status": "STATUS TODAY", "in_force": "IN FORCE"}


@app.command()
@with_filters
def query(
    format: RowFormatOpt = RowFormat.table,
    wide: WideOpt = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
    **selected: Any,
) -> None:
    """List measures. Repeating a filter widens it; different filters narrow."""
    from .queries import HS_MATCH, measures, scope_note, select, undated_note

    con = _connect(data)
    selection = select(con, _filters(selected))
    _emit_answer(con, measures(selection), format, empty=_nothing("measures", selection),
                 adjust=_undated_in_force if format.value == Format.table else None,
                 table_columns=QUERY_TABLE + ([HS_MATCH] if selection["hs"] else []),
                 headers=QUERY_HEADERS, whole=["id", "authority", "in_force", HS_MATCH], wide=wide)
    for note in (undated_note(con, selection), scope_note(con, selection)):
        if note:
            _error(note)


def _undated_in_force(columns: list[str], rows: list[tuple]) -> list[tuple]:
    """Tables say 'undated' where a measure entered into force on a date no source gives."""
    at, undated = columns.index("in_force"), columns.index("undated_events")
    return [row[:at] + ("undated",) + row[at + 1:] if row[at] is None and "in_force" in row[undated]
            else row for row in rows]


@app.command()
@with_filters
def timeline(
    format: RowFormatOpt = RowFormat.table,
    wide: WideOpt = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
    **selected: Any,
) -> None:
    """Events of the selected measures with their sources, in order: date, lifecycle, measure,
    source. --from/--to bound the events themselves."""
    from .queries import events, select

    con = _connect(data)
    selection = select(con, _filters(selected))
    _emit_answer(con, events(selection), format, empty=_nothing("events", selection),
                 table_columns=["date", "kind", "measure_id", "source_id", "title"],
                 whole=["date", "kind", "measure_id", "source_id"], wide=wide)


@app.command()
def show(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="A measure, instrument or source ID.")],
    format: ShowFormatOpt = ShowFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """One record: a measure with its events, instruments, sources and links; an instrument with
    the measures it makes; a source with everything that cites it."""
    from .describe import describe
    from .queries import show as detail
    from .render import plain, to_json

    result = detail(_connect(data), record_id)
    if format.value == Format.json:
        typer.echo(to_json(result), nl=False)
    elif format.value == Format.yaml:
        import yaml

        typer.echo(yaml.safe_dump(plain(result), sort_keys=False, allow_unicode=True, width=100), nl=False)
    else:
        typer.echo(describe(result), nl=False)


@app.command()
def coverage(
    format: RowFormatOpt = RowFormat.table,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """The declared scope: for each family of measures and each authority, whether the dataset is
    complete, partial (the note says what is missing) or found none (the note says what was searched)."""
    from .queries import GRID_LEGEND, coverage as cells, coverage_grid

    columns, rows, scope = cells(_connect(data))
    if format.value != Format.table:
        _emit(columns, rows, format, empty=scope)
        return
    columns, grid = coverage_grid(rows)
    typer.echo(f"Coverage of {scope}:")
    _emit(columns, grid, format, empty=scope, whole=columns, headers={c: c for c in columns[1:]})
    import textwrap

    from .render import terminal_width

    typer.echo(textwrap.fill(GRID_LEGEND, width=terminal_width()))


class RecordKind(StrEnum):
    measure = "measure"
    source = "source"
    instrument = "instrument"


def _text_option(flag: str, help: str) -> Any:
    return Annotated[str | None, typer.Option(flag, help=help)]


@app.command()
def new(
    kind: Annotated[RecordKind, typer.Argument(help="measure, source or instrument.")],
    record_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The new record's ID (file name).")] = None,
    title: _text_option("--title", "Title (measure, source).") = None,
    authority: _text_option("--authority", "Authority code or name (measure, instrument).") = None,
    target: Annotated[list[str] | None, typer.Option("--target", help="Target code or name (measure); repeat.")] = None,
    type: _text_option("--type", "Measure type.") = None,
    sector: Annotated[list[str] | None, typer.Option("--sector", help="Sector (measure); repeat.")] = None,
    record_kind: _text_option("--kind", "Kind of source or instrument.") = None,
    publisher: _text_option("--publisher", "Publisher (source).") = None,
    url: _text_option("--url", "URL (source).") = None,
    published: _text_option("--published", "Publication date, YYYY-MM-DD (source).") = None,
    identifier: _text_option("--identifier", "The act's own name (instrument).") = None,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write a new record to fill in: a valid ID and file name, the schema line for editors, and
    TODO placeholders that validate refuses until each is replaced. Never overwrites a file. Asks
    for what the flags leave out when run in a terminal."""
    from .errors import UsageError
    from .files import elsewhere, resolve_data_dir
    from .scaffold import asks, new as scaffold

    root = resolve_data_dir(data)
    other = elsewhere(root, data)
    if other:
        raise UsageError(other[0], hint="pass --data to say which dataset the new record belongs to")
    interactive = _interactive()
    if record_id is None:
        if not interactive:
            raise UsageError(f"give the new {kind.value}'s ID", hint="e.g. sanctions new measure gb-2022-caviar-import-ban")
        record_id = typer.prompt("ID (lowercase words joined by hyphens)")
    given: dict[str, Any] = {"title": title, "authority": authority, "target": target, "type": type,
                             "sector": sector, "kind": record_kind, "publisher": publisher, "url": url,
                             "published": published, "identifier": identifier}
    asked = asks(kind.value, root)
    if interactive:
        for ask in asked:
            if not given.get(ask.key):
                answer = typer.prompt(f"{ask.prompt} (empty: fill in later)", default="", show_default=False)
                given[ask.key] = [a.strip() for a in answer.split(",") if a.strip()] if ask.many else answer.strip()
    path = scaffold(kind.value, root, record_id, given, asked=asked)
    typer.echo(str(path))
    _error(f"wrote {kind.value} {record_id}: replace every TODO from what a source says, then run "
           f"`sanctions validate {path}`")


def _interactive() -> bool:
    """Whether `new` may ask for what the flags leave out: a person at a terminal."""
    return sys.stdin.isatty()


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="A new or empty folder to write into.")],
    format: Annotated[list[str] | None, typer.Option(
        "--format", metavar="FORMAT", help="parquet, csv, json, ndjson, duckdb or sqlite; repeat or separate "
                                          "with commas (default: all).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier export in that folder.")] = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write the dataset for other tools: every table as Parquet, CSV, JSON and NDJSON, DuckDB and
    SQLite files, whole measures as JSON documents, a Frictionless datapackage.json and a datasette
    metadata.json."""
    from .codes import Lookup, UnknownCode
    from .errors import UsageError
    from .export import ExportFormat, export as write
    from .files import resolve_data_dir

    lookup = Lookup("format", [f.value for f in ExportFormat])
    chosen = []
    for name in (n for given in format or [] for n in given.split(",") if n.strip()):
        try:
            chosen.append(ExportFormat(lookup.resolve(name)))
        except UnknownCode as exc:
            raise UsageError(f"--format: unknown format '{name}'", hint=exc.hint) from None
    progress = _progress_line if sys.stderr.isatty() else (lambda _: None)
    result = write(resolve_data_dir(data), out, chosen, force=force, progress=progress)
    if sys.stderr.isatty():
        typer.echo("\r\x1b[K", err=True, nl=False)
    documents = f" and {result.documents} measure documents" if result.documents else ""
    _error(f"exported {result.tables} tables{documents} ({', '.join(f.value for f in result.formats)}) "
           f"to {result.folder}")


def _progress_line(message: str) -> None:
    typer.echo(f"\r\x1b[Kexport: {message}…", err=True, nl=False)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(metavar="QUERY", help="One SELECT statement.")],
    format: RowFormatOpt = RowFormat.table,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", min=0.1,
                                           help="Stop the query after this long.")] = SQL_TIMEOUT,
    wide: WideOpt = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Run read-only SQL on the dataset's tables and views (nothing outside them is reachable).
    Tables fit the terminal: long values wrap, IDs stay whole."""
    from .sql import run_sql

    columns, rows = run_sql(_connect(data), statement, timeout)
    whole = [c for c in columns if c == "id" or c.endswith("_id") or c in ("date", "code")]
    _emit(columns, rows, format, wrap_cells=True, whole=whole, wide=wide)


@app.command()
def diff(
    folders: Annotated[list[Path] | None, typer.Argument(
        metavar="[OLD NEW]", help="Two dataset folders to compare (or use --rev).")] = None,
    rev: Annotated[str | None, typer.Option(
        "--rev", metavar="A..B", help="Compare two git revisions of the data folder; "
        "A alone compares A with the working copy.")] = None,
    format: ReportFormatOpt = ReportFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """What changed between two versions of the dataset: records added, changed (each field, old →
    new), withdrawn, and removed (a deleted file, which the rules forbid). Exit 0 whether or not
    anything changed."""
    from .diff import diff_folders, diff_revisions
    from .errors import UsageError
    from .files import resolve_data_dir
    from .render import to_json

    if rev is not None and not folders:
        result = diff_revisions(resolve_data_dir(data), rev)
    elif rev is None and folders and len(folders) == 2:
        result = diff_folders(*folders)
    else:
        raise UsageError("give two folders OLD NEW, or --rev A..B", hint="see `sanctions diff --help`")
    if format.value == Format.json:
        typer.echo(to_json(result.as_dict()), nl=False)
    else:
        typer.echo(result.text(), nl=False)


@app.command()
def stats(
    format: ReportFormatOpt = ReportFormat.text,
    data: DataOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Counts of records, and of measures by authority, type, category, status and sector."""
    from .queries import stats as counts
    from .render import to_json

    result = counts(_connect(data))
    if format.value == Format.json:
        typer.echo(to_json(result), nl=False)
        return
    for key, value in result.items():
        if isinstance(value, dict):
            typer.echo(f"{key.replace('_', ' ')}:")
            for name, number in value.items():
                typer.echo(f"  {name:<34} {number:>5}")
        else:
            typer.echo(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")


@app.command()
@with_filters
def plot(
    out: Annotated[Path, typer.Option("--out", metavar="FILE",
                                      help="The picture to write: FILE.svg or FILE.png.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    data: DataOpt = None,
    debug: DebugOpt = False,
    **selected: Any,
) -> None:
    """Draw the selected measures as a timeline by authority (needs `pip install 'sanctions[plot]'`):
    a mark per event, a bar while in force. The filters are those of `query`; each measure they
    select is drawn whole (--from/--to choose measures, they do not cut the picture)."""
    from .errors import SanctionsError, UsageError
    from .files import shown, write_atomic_bytes
    from .plot import FORMATS, picture
    from .queries import select

    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"--out {shown(out)}: the picture's name must end in .svg or .png")

    def check_target() -> None:
        if out.is_dir():
            raise UsageError(f"{shown(out)} is a folder", hint="name a file ending in .svg or .png")
        if not out.parent.is_dir():
            raise UsageError(f"no such folder: {shown(out.parent)}", hint="create it first")
        if (out.exists() or out.is_symlink()) and not force:
            raise UsageError(f"{shown(out)} exists", hint="pass --force to replace it")

    check_target()
    con = _connect(data)
    selection = select(con, _filters(selected))
    picture_bytes, count = picture(con, selection, fmt)  # needs matplotlib, even for no measures
    if not count:
        _error(_nothing("measures", selection))
        return
    check_target()  # again: drawing takes a moment
    try:
        write_atomic_bytes(out, picture_bytes)
    except OSError as exc:
        raise SanctionsError(f"cannot write {shown(out)}: {exc.strerror or exc}") from None
    _error(f"wrote {shown(out)} ({count} measure{'s' * (count != 1)})")


def main() -> None:
    # One command, then the process ends: the cycle collector would only rescan the records
    # (each collection, and the one at exit, visits every object: seconds at 100,000 measures).
    import gc

    gc.disable()
    app(prog_name="sanctions")
