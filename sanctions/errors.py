"""The one root exception and the problem record every check reports.

Problems are data, not exceptions: validation collects all of them in one run so a contributor sees
every mistake at once. Exceptions are for what stops a command (bad usage, a failed query).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class SanctionsError(Exception):
    """Root of every error this package raises on purpose; the CLI prints it as one line."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message

    def __reduce__(self):  # intact across processes, whatever a subclass's __init__ takes
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type[SanctionsError], args: tuple, state: dict) -> SanctionsError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UsageError(SanctionsError):
    """Bad arguments: an unknown code, a malformed date, a missing file. Exit code 2."""

    exit_code = 2


class DataError(SanctionsError):
    """The dataset is invalid; carries the problems found. Exit code 1."""

    def __init__(self, problems: list[Problem]):
        first = problems[0].format() if problems else "invalid data"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more, hint="run `sanctions validate` for the full list")
        self.problems = problems


class QueryError(SanctionsError):
    """A valid request whose query failed (e.g. a SQL error). Exit code 1."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, located as precisely as the input allows."""

    path: str
    line: int
    column: int
    field: str
    code: str
    message: str

    def format(self) -> str:
        field = self.field or "-"
        return f"{self.path}:{self.line}:{self.column}: {field}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)
