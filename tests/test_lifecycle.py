"""Status on a date is derived from events."""

from __future__ import annotations

import datetime as dt

import pytest

from sanctions.lifecycle import Status, order_problems, status_on
from sanctions.models import Citation, Event, EventKind

D = dt.date
CITE = Citation(source="src")


def ev(kind: str, day: str) -> Event:
    return Event(kind=EventKind(kind), date=D.fromisoformat(day), citation=CITE)


@pytest.mark.parametrize("kind, status", [
    ("requested", Status.requested), ("considered", Status.considered),
    ("threatened", Status.threatened), ("announced", Status.announced),
    ("adopted", Status.adopted), ("published", Status.adopted), ("in_force", Status.in_force),
    ("wind_down_ends", None), ("amended", None), ("suspended", Status.suspended),
    ("lifted", Status.lifted), ("expired", Status.expired),
])
def test_each_event_kind_alone(kind, status):
    events = [ev(kind, "2022-03-11")]
    assert status_on(events, D(2022, 3, 10)) is None
    assert status_on(events, D(2022, 3, 11)) == status


def test_a_full_lifecycle_moves_through_every_status():
    events = [ev("threatened", "2021-12-07"), ev("announced", "2022-03-11"),
              ev("adopted", "2022-04-08"), ev("in_force", "2022-04-09"),
              ev("wind_down_ends", "2022-05-01"), ev("amended", "2022-06-01"),
              ev("suspended", "2023-01-01"), ev("in_force", "2023-02-01"), ev("lifted", "2024-01-01")]
    expect = {"2021-12-06": None, "2021-12-07": Status.threatened, "2022-03-11": Status.announced,
              "2022-04-08": Status.adopted, "2022-04-09": Status.in_force,
              "2022-05-02": Status.in_force, "2022-06-01": Status.in_force,
              "2023-01-15": Status.suspended, "2023-02-01": Status.in_force,
              "2024-01-01": Status.lifted, "2030-01-01": Status.lifted}
    for day, status in expect.items():
        assert status_on(events, D.fromisoformat(day)) == status, day


def test_only_requested_or_threatened_measures_stay_so():
    requested = [ev("requested", "2022-03-11")]
    assert status_on(requested, D(2030, 1, 1)) is Status.requested
    weighed_then_threatened = [ev("considered", "2021-12-06"), ev("threatened", "2021-12-30")]
    assert status_on(weighed_then_threatened, D(2021, 12, 20)) is Status.considered
    assert status_on(weighed_then_threatened, D(2022, 1, 1)) is Status.threatened


def test_a_later_request_does_not_demote_an_announcement():
    events = [ev("announced", "2022-03-01"), ev("requested", "2022-03-11")]
    assert status_on(events, D(2022, 3, 12)) is Status.announced


def test_same_day_events_apply_in_lifecycle_order_whatever_their_file_order():
    events = [ev("in_force", "2022-03-11"), ev("adopted", "2022-03-11"), ev("announced", "2022-03-11")]
    assert status_on(events, D(2022, 3, 11)) is Status.in_force


def test_order_problems_name_the_event_and_what_it_needs():
    assert order_problems([ev("adopted", "2022-03-01"), ev("published", "2022-03-02")]) == []
    assert order_problems([ev("in_force", "2022-03-11"), ev("lifted", "2022-03-01")]) == [
        (1, "'lifted' on 2022-03-01 is before 'in_force' on 2022-03-11")]
    assert order_problems([ev("suspended", "2022-03-01")]) == [
        (0, "a 'suspended' event needs an earlier 'in_force' event")]


def test_status_only_moves_forward_before_adoption_and_stays_in_force_until_ended():
    """Properties over generated event lists: before adoption, the status never steps back (a
    threat stays a threat when someone later asks for the same); once in force, it stays in force
    on every later day until a suspension, lifting or expiry."""
    import datetime as dt

    from hypothesis import given
    from hypothesis import strategies as st

    from sanctions.models import Citation, Event
    from sanctions.lifecycle import Status, status_on

    proposal = [EventKind.requested, EventKind.considered, EventKind.threatened, EventKind.announced]
    rank = {Status(k.value): i for i, k in enumerate(proposal)}
    days = st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2023, 12, 31))
    cite = Citation(source="src")

    @given(st.lists(st.tuples(st.sampled_from(proposal), days), min_size=1, max_size=8),
           st.lists(st.tuples(st.sampled_from([EventKind.adopted, EventKind.in_force,
                                               EventKind.wind_down_ends, EventKind.amended]), days),
                    max_size=4))
    def check(proposals, later):
        events = [Event(kind=k, date=d, citation=cite) for k, d in proposals + later]
        previous, start = None, min(d for _, d in proposals + later)
        for offset in range(0, 1100, 7):
            day = start + dt.timedelta(days=offset)
            status = status_on(events, day)
            if previous in rank and status in rank:
                assert rank[status] >= rank[previous], (previous, status, day)
            if previous is Status.in_force:
                assert status is Status.in_force, day  # nothing here ends it
            previous = status

    check()
