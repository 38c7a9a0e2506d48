"""Read-only SQL from users, within limits: one statement that reads, a time limit, a row cap,
and a Ctrl-C that stops the query at once. (The connection itself is sandboxed: db.SANDBOX.)"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import duckdb

from .errors import QueryError, UsageError
from .limits import SQL_MAX_ROWS, SQL_TIMEOUT

_READS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


def _is_pivot(sql: str) -> bool:
    """PIVOT parses as several statements (it makes a type for its columns): allow it by name."""
    text = re.sub(r"(--[^\n]*|/\*.*?\*/|\s)+", " ", sql, flags=re.S).strip().upper()
    return text.startswith("PIVOT ") or text.startswith("PIVOT_WIDER ")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str,
            timeout: float = SQL_TIMEOUT) -> tuple[list[str], list[tuple]]:
    """One read-only query on the sandboxed connection, stopped at `timeout` seconds, at Ctrl-C
    (KeyboardInterrupt within a fraction of a second) and past SQL_MAX_ROWS rows."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(_one_line(exc)) from None
    if len(statements) != 1:
        raise UsageError(f"give exactly one SQL statement (got {len(statements)})")
    kind = statements[0].type
    if kind not in _READS and not (kind == duckdb.StatementType.MULTI and _is_pivot(sql)):
        raise UsageError(f"only queries that read are allowed, not {kind.name}",
                         hint="the database is read-only; tables: `sanctions sql \"SHOW TABLES\"`")
    cursor = con.cursor()  # its own connection to the database, so it can be interrupted alone
    try:
        with _Watch(cursor, timeout) as watch:
            try:
                result = cursor.execute(sql)
                columns = [d[0] for d in result.description]
                rows: list[tuple] = []
                while chunk := result.fetchmany(10_000):
                    rows.extend(chunk)
                    if len(rows) > SQL_MAX_ROWS:
                        raise QueryError(f"the result has more than {SQL_MAX_ROWS:,} rows",
                                         hint="add a LIMIT, or aggregate")
                return columns, rows
            except (duckdb.Error, RuntimeError, KeyboardInterrupt) as exc:
                if watch.interrupted:
                    raise KeyboardInterrupt from None
                if watch.timed_out:
                    raise QueryError(f"stopped after {timeout:g} s, the time limit",
                                     hint="--timeout SECONDS allows more") from None
                if isinstance(exc, duckdb.Error):
                    raise QueryError(_one_line(exc)) from None
                raise
    finally:
        cursor.close()


class _Watch:
    """Interrupts a running query at Ctrl-C or at its time limit, within milliseconds.

    The query runs in the calling thread; a watcher thread waits on the signal wake-up fd (which
    the C-level handler writes to at once, whatever the query is doing) and on the deadline, and
    calls `interrupt()`. While the query runs, Ctrl-C's Python handler only records the interrupt:
    DuckDB, which checks for signals itself, must not stop the query before the flag is set, or an
    interrupted query would be reported as a failed one. Away from the main thread only the time
    limit applies.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout: float):
        self.cursor, self.timeout = cursor, timeout
        self.interrupted = self.timed_out = False

    def __enter__(self) -> _Watch:
        import signal
        import socket

        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)
        self.previous = self.handler = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.set_wakeup_fd(self.writer.fileno(), warn_on_full_buffer=False)
            self.handler = signal.signal(signal.SIGINT, self._record)
        self.thread = threading.Thread(target=self._watch, name="sanctions-watch", daemon=True)
        self.thread.start()
        return self

    def _record(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        self.cursor.interrupt()

    def _watch(self) -> None:
        import select
        import signal

        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.reader], [], [], max(left, 0))
            if not ready:
                self.timed_out = True
                break
            data = self.reader.recv(64)
            if not data or b"\xff" in data:  # the query finished
                return
            if signal.SIGINT in data:
                self.interrupted = True
                break
        self.cursor.interrupt()

    def __exit__(self, *exc: Any) -> None:
        import signal

        try:
            self.writer.send(b"\xff")
        except OSError:
            pass
        self.thread.join()
        if self.previous is not None:
            signal.set_wakeup_fd(self.previous)
            signal.signal(signal.SIGINT, self.handler)
        self.reader.close()
        self.writer.close()


def _one_line(exc: Exception) -> str:
    """DuckDB's message on one line, without the source excerpt it appends after 'LINE n:'."""
    text = str(exc).split("\nLINE ")[0]
    return " ".join(text.split())
