"""A function run in a forked child process, as if here: its result or its error comes back
(pickled), and stopping this process stops the child and its own workers.

For work whose memory should end with it: Python keeps the heap of what it has freed, so a
validation's 1.1 GB at 100,000 measures would otherwise sit under the build that follows.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any

from .errors import SanctionsError


class ChildTraceback(Exception):
    """Where a child process failed (shown by --debug, as the cause of its error)."""


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) in a forked child process: its result, or its error raised here. Stopped
    here (Ctrl-C reaches only this process: the child has its own group), it is stopped too."""
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(send, function, args), name="sanctions-child")
    child.start()
    send.close()
    try:
        ok, value, where = receive.recv()
    except EOFError:
        child.join()
        raise SanctionsError(f"a child process ended with code {child.exitcode} before answering",
                             hint="run `sanctions validate`, which works in one process") from None
    except BaseException:
        _stop(child)
        raise
    finally:
        receive.close()
    child.join()
    if ok:
        return value
    raise value from ChildTraceback(where)


def _run(send: Any, function: Callable[..., Any], args: tuple) -> None:
    os.setpgrp()  # its own group (with its workers): the parent can stop them all at once
    try:
        outcome = (True, function(*args), "")
    except BaseException as exc:  # (KeyboardInterrupt too: the parent decides)
        outcome = (False, exc, traceback.format_exc())
    try:
        send.send(outcome)
    except OSError:
        pass  # the parent is gone
    send.close()


def _stop(child: Any) -> None:
    """The child and its workers ended at once: what they did is lost, and they write nothing
    but the facts, atomically (a stopped validation costs only speed next time)."""
    for signum, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, None)):
        try:
            os.killpg(child.pid, signum)
        except OSError:
            pass
        child.join(wait)
        if not child.is_alive():
            return
