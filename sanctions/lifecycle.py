"""A measure's status on any date, derived from its events — never stored by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from .models import Event, EventKind
from .vocab import STATUSES

K = EventKind


Status = StrEnum("Status", [(code, code) for code in STATUSES.codes], module=__name__)
Status.__doc__ = STATUSES.doc


#: Lifecycle order of event kinds; also breaks ties between events of one day.
EVENT_ORDER: dict[EventKind, int] = {kind: rank for rank, kind in enumerate(EventKind)}

_PROPOSAL = {K.requested: Status.requested, K.considered: Status.considered,
             K.threatened: Status.threatened, K.announced: Status.announced}
_PROPOSAL_RANK = {status: rank for rank, status in enumerate(_PROPOSAL.values())}
_ENDED = {K.suspended: Status.suspended, K.lifted: Status.lifted, K.expired: Status.expired}

#: Event kinds that cannot come before the first event of another kind ("published" needs "adopted").
PREREQUISITES: dict[EventKind, tuple[EventKind, ...]] = {
    K.published: (K.adopted,),
    K.amended: (K.adopted, K.in_force),
    K.wind_down_ends: (K.in_force, K.adopted),
    K.suspended: (K.in_force,),
    K.lifted: (K.in_force, K.adopted),
    K.expired: (K.in_force, K.adopted),
}


def chronological(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.date, EVENT_ORDER[e.kind]))


def status_on(events: Iterable[Event], on: dt.date) -> Status | None:
    """The status on `on` (inclusive), or None when nothing had happened yet.

    Before adoption the furthest step reached counts (a threat stays a threat when someone later
    requests the same thing); `adopted`/`published` mean signed but not yet in force; `in_force`
    after `suspended` or `lifted` is a re-imposition; wind-down ends and amendments change nothing.
    """
    status: Status | None = None
    for event in chronological(events):
        if event.date > on:
            break
        kind = event.kind
        if kind in _PROPOSAL:
            new = _PROPOSAL[kind]
            if status is None or (status in _PROPOSAL_RANK
                                  and _PROPOSAL_RANK[new] > _PROPOSAL_RANK[status]):
                status = new
        elif kind in (K.adopted, K.published):
            if status is None or status in _PROPOSAL_RANK:
                status = Status.adopted
        elif kind is K.in_force:
            status = Status.in_force
        elif kind in _ENDED:
            status = _ENDED[kind]
    return status


def first_dates(events: Iterable[Event]) -> dict[EventKind, dt.date]:
    """The first date of each kind of event: the 'main dates' shown in tables."""
    firsts: dict[EventKind, dt.date] = {}
    for event in events:
        if event.kind not in firsts or event.date < firsts[event.kind]:
            firsts[event.kind] = event.date
    return firsts


def order_problems(events: list[Event]) -> list[tuple[int, str]]:
    """(index, message) for each event that comes before what it depends on."""
    firsts = first_dates(events)
    found = []
    for index, event in enumerate(events):
        needs = PREREQUISITES.get(event.kind)
        if not needs:
            continue
        present = [firsts[k] for k in needs if k in firsts]
        if not present:
            wanted = " or ".join(f"'{k.value}'" for k in needs)
            found.append((index, f"a '{event.kind.value}' event needs an earlier {wanted} event"))
        elif event.date < min(present):
            first = min((k for k in needs if k in firsts), key=lambda k: firsts[k])
            found.append((index, f"'{event.kind.value}' on {event.date} is before "
                                 f"'{first.value}' on {firsts[first]}"))
    return found
