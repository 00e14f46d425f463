"""The status list and case detail on SQLite and PostgreSQL: every filter, paging, totals, and
clocks evaluated against "now" at query time."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
import pytest

from caseflow.domain.values import Category, Channel, Decision
from caseflow.infra.views import CaseQuery
from tests.integration.views.conftest import catch_up
from tests.unit.projections.world import T0, day


@pytest.fixture
def office(world, views):
    """Five cases with known facts (comments give what the filters must find)."""
    w = world
    a = w.receive(day(3, 1), channel=Channel.VISIT)  # registered; screening due 16 March
    b = w.receive(day(3, 2), org=w.city, headcount=6)  # collective, city
    w.screen(b, day(3, 3))  # accepted: handling due 2 May
    w.assign(b, day(3, 4), unit=w.county, leader=w.leader2)
    c = w.receive(day(3, 3), category=Category.SUGGESTION, prior=a)  # a repeat
    w.screen(c, day(3, 4), decision=Decision.REJECT, category=Category.SUGGESTION)
    d = w.receive(day(3, 5), org=w.other_city)
    e = w.receive(day(3, 6))
    w.screen(e, day(3, 7))
    w.assign(e, day(3, 8))
    w.resolve(e, day(3, 20))
    catch_up(views)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def ids(page) -> list:
    return [item["case_id"] for item in page.items]


def test_list_is_newest_first_with_a_total(views, office, clock):
    page = views.cases(CaseQuery())
    o = office
    assert ids(page) == [o["e"], o["d"], o["c"], o["b"], o["a"]] and page.total == 5


@pytest.mark.parametrize(
    "query, expected",
    [
        (CaseQuery(status="registered"), {"a", "d"}),
        (CaseQuery(status=("assigned", "resolved")), {"b", "e"}),
        (CaseQuery(category="suggestion"), {"c"}),
        (CaseQuery(channel="visit"), {"a"}),
        (CaseQuery(collective=True), {"b"}),
        (CaseQuery(repeat=True), {"c"}),
        (CaseQuery(received_from=date(2026, 3, 2), received_to=date(2026, 3, 5)), {"b", "c", "d"}),
    ],
)
def test_filters_select_the_hand_picked_cases(views, office, query, expected):
    page = views.cases(query)
    assert set(ids(page)) == {office[k] for k in expected} and page.total == len(expected)


def test_org_unit_and_leader_filters(views, office, world):
    o, w = office, world
    assert set(ids(views.cases(CaseQuery(org_id=w.city)))) == {o["b"]}
    assert set(ids(views.cases(CaseQuery(unit_id=w.county)))) == {o["b"], o["e"]}
    assert set(ids(views.cases(CaseQuery(leader_id=w.leader2)))) == {o["b"]}
    assert set(ids(views.cases(CaseQuery(handler_id="handler-7")))) == {o["b"], o["e"]}


def test_org_subtree_covers_the_org_and_everything_below(views, office, world):
    o, w = office, world
    assert views.cases(CaseQuery(within_org=w.province)).total == 5
    assert set(ids(views.cases(CaseQuery(within_org=w.city)))) == {o["a"], o["b"], o["c"], o["e"]}
    assert set(ids(views.cases(CaseQuery(within_org=w.other_city)))) == {o["d"]}
    assert views.org_subtree(w.city) == [w.city, w.county]


def test_a_case_becomes_overdue_with_time_alone(views, office, clock):
    clock.now = day(3, 16)  # last day for screening a
    assert office["a"] not in ids(views.cases(CaseQuery(overdue=True)))
    clock.now = day(3, 17)  # no new event, a day later
    overdue = ids(views.cases(CaseQuery(overdue=True)))
    assert office["a"] in overdue and office["d"] not in overdue  # d is due on 20 March
    assert views.case(office["a"])["overdue"] is True
    not_overdue = set(ids(views.cases(CaseQuery(overdue=False))))
    assert not_overdue == {office[k] for k in "bcde"}


def test_overdue_in_a_subtree_lists_and_pages_alike_however_it_is_planned(
    views, office, world, clock, monkeypatch
):
    # A selection of at most queries.FEW_SORTED cases is listed from its keys in one pass; with
    # none counted as few it is counted, then walked in list order.
    from caseflow.infra.views import queries

    clock.now = day(5, 10)  # a's screening (16 March) and b's handling (2 May) are overdue

    def walk() -> tuple[list, list, int]:
        by_offset = [
            ids(views.cases(CaseQuery(overdue=True, within_org=world.city, limit=1, offset=i)))
            for i in range(5)
        ]
        walked, after = [], None
        while True:
            page = views.cases(CaseQuery(overdue=True, within_org=world.city, limit=1, after=after))
            walked += ids(page)
            after = page.next
            if after is None:
                return by_offset, walked, page.total

    by_offset, walked, total = walk()
    assert {office["a"], office["b"]} <= set(walked) and office["d"] not in walked
    assert [x for page in by_offset for x in page] == walked and total == len(walked)
    monkeypatch.setattr(queries, "FEW_SORTED", 0)
    assert walk() == (by_offset, walked, total)


QUERIES = [
    CaseQuery(),
    CaseQuery(status="registered"),
    CaseQuery(repeat=True),
    CaseQuery(repeat=False),
    CaseQuery(decision="reject"),
    CaseQuery(decision="accept"),
    CaseQuery(supervised=False),
    CaseQuery(collective=True),
    CaseQuery(overdue=True),
    CaseQuery(overdue=False),
]


def test_small_and_broad_selections_list_and_page_alike(views, office, world, clock, monkeypatch):
    """A selection of at most FEW_SORTED cases is listed from its keys in one pass; a broader
    one is counted and walked: with the rare-filter planner hints, both give the same pages."""
    from dataclasses import replace

    from caseflow.infra.views import queries

    clock.now = day(5, 10)
    w = world
    scopes = [
        {},
        {"within_org": w.province},
        {"within_org": w.city},
        {"within_org": w.county},
        {"unit_id": w.county},
        {"org_id": w.county},
    ]
    found = 0
    for query in (replace(q, **scope) for q in QUERIES for scope in scopes):
        monkeypatch.setattr(queries, "FEW_SORTED", 2_000)
        small = _walk(views, query)
        assert small[0] == small[1] and small[2] == [len(small[1])] * 3, query
        monkeypatch.setattr(queries, "FEW_SORTED", 0)
        assert _walk(views, query) == small, query
        found += len(small[1])
    assert found > 50  # the combinations select cases, not only empty lists


def _walk(views, query) -> tuple[list, list, list]:
    """(ids by offset pages of 2, ids by cursor pages of 2, the totals of the offset pages)."""
    from dataclasses import replace

    pages = [views.cases(replace(query, limit=2, offset=i)) for i in (0, 2, 4)]
    walked, after = [], None
    while True:
        page = views.cases(replace(query, limit=2, after=after))
        walked += ids(page)
        after = page.next
        if after is None:
            break
    return [x for p in pages for x in ids(p)], walked, [p.total for p in pages]


def test_offset_paging_and_keyset_paging_walk_the_same_order(views, office):
    everything = ids(views.cases(CaseQuery()))
    by_offset = (
        ids(views.cases(CaseQuery(limit=2)))
        + ids(views.cases(CaseQuery(limit=2, offset=2)))
        + ids(views.cases(CaseQuery(limit=2, offset=4)))
    )
    walked, after = [], None
    while True:
        page = views.cases(CaseQuery(limit=2, after=after))
        walked += ids(page)
        assert page.total == 5
        after = page.next
        if after is None:
            break
    assert by_offset == walked == everything


def test_a_cursor_not_handed_out_is_refused(views, office):
    with pytest.raises(ValueError):
        views.cases(CaseQuery(after="not-a-cursor"))


def test_case_detail_evaluates_every_clock_now(views, office, clock):
    clock.now = day(3, 25)
    detail = views.case(office["e"])
    clocks = {c["name"]: c for c in detail["clocks"]}
    assert clocks["screening"]["state"] == "done" and clocks["screening"]["on_time"] is True
    assert clocks["handling"]["done_on"] == date(2026, 3, 20)
    window = clocks["review_window"]
    assert window["due_on"] == date(2026, 4, 19) and window["days_left"] == 25
    assert detail["status"] == "resolved" and detail["version"] == 4


def test_unknown_case_detail_is_none(views, office):
    import uuid

    assert views.case(uuid.uuid4()) is None


def test_time_travel_by_version_and_by_recorded_time(views, world, clock):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    events = world.app.history(case)
    assert views.as_of(case, version=1)["status"] == "registered"
    assert views.as_of(case, version=2)["status"] == "accepted"
    between = events[1].timestamp + (events[2].timestamp - events[1].timestamp) / 2
    assert views.as_of(case, at=between)["status"] == "accepted"
    with pytest.raises(LookupError):
        views.as_of(case, at=events[0].timestamp - timedelta(seconds=1))


def test_the_list_leaves_out_accusations_against_the_caller(world, views, container):
    """An accusation against the county and its leader is left out of their lists (回避). The
    store keeps keyed pseudonyms of the accused, so a query names each id with its pseudonym
    (as the API does); the ids alone no longer find the accusation."""
    w = world

    def named(*ids):
        return ids + container.sealer.pseudonyms(ids)

    accusation = _accuse(w, w.county, w.leader)
    other = w.receive(day(3, 2))
    catch_up(views)
    everyone = CaseQuery()
    county_staff = CaseQuery(not_accusing_orgs=named(w.county, w.city))
    the_leader = CaseQuery(not_accusing_leaders=named(w.leader))
    another_leader = CaseQuery(
        not_accusing_orgs=named(w.city), not_accusing_leaders=named(w.leader2)
    )
    assert set(ids(views.cases(everyone))) == {accusation, other}
    assert ids(views.cases(county_staff)) == [other]
    assert views.cases(county_staff).total == 1
    assert ids(views.cases(the_leader)) == [other]
    assert set(ids(views.cases(another_leader))) == {accusation, other}
    # what the view holds is the pseudonym, never the id
    assert set(ids(views.cases(CaseQuery(not_accusing_orgs=(w.county,))))) == {accusation, other}


def test_the_store_keeps_the_accused_sealed_and_only_as_keyed_pseudonyms(world, views, container):
    """Read raw, as a leaked backup would be: neither the event as stored, nor the exclusion
    table, nor the audit payload links the accusation to the accused leader; the org named is a
    pseudonym; the domain still opens the ids (for 回避 on every single-case read)."""
    w = world
    accusation = _accuse(w, w.city, w.leader)
    catch_up(views)
    sealer = container.sealer
    (stored,) = [
        e for e in container.app.recorder.select_events(accusation) if e.originator_version == 1
    ]
    state = orjson.loads(stored.state)
    assert state["accused_org_id"] == {"$u": sealer.pseudonym(w.city).hex}
    assert state["accused_leader_id"] == {"$u": sealer.pseudonym(w.leader).hex}
    assert "sealed_accused" in state
    assert w.leader.hex.encode() not in stored.state and str(w.leader).encode() not in stored.state
    conn = views.store.connection()
    cur = conn.cursor()
    cur.execute("SELECT accused_org_id, accused_leader_id FROM case_accused")
    rows = [tuple(str(v).replace("-", "") for v in r) for r in cur.fetchall()]
    assert rows == [(sealer.pseudonym(w.city).hex, sealer.pseudonym(w.leader).hex)]
    cur.execute("SELECT aggregate_id, payload FROM audit")
    payloads = " ".join(
        str(p) for a, p in cur.fetchall() if str(a).replace("-", "") == accusation.hex
    ).replace("-", "")
    assert "sealed_accused" in payloads
    assert w.leader.hex not in payloads and w.city.hex not in payloads
    # the domain opens the ids: the accused is refused the case itself
    case = container.app.case(accusation)
    assert (case.accused_org_id, case.accused_leader_id) == (w.city, w.leader)
    # a store whose sealed ids were altered does not open them
    other = dict(state, sealed_accused={"v": 1, "ct": state["sealed_accused"]["ct"][:-4] + "AAAA"})
    with pytest.raises(ValueError, match="do not open"):
        sealer.open_accused(accusation, 1, other["sealed_accused"])


def _accuse(w, org, leader):
    """An accusation received by the county on 1 March, naming `org` and `leader`."""
    w.at(day(3, 1))
    return w.app.receive(
        w.ctx("registrar-1", "registrar", day(3, 1)),
        channel=Channel.LETTER,
        received_at=day(3, 1),
        receiving_org_id=w.county,
        petitioners=_someone(),
        headcount=1,
        representatives=(),
        subject="s",
        request="",
        region="r",
        category=Category.ACCUSATION,
        accused_org_id=org,
        accused_leader_id=leader,
    ).id


def _someone():
    from caseflow.domain.values import Petitioner

    return (Petitioner("Test Person (synthetic)", "TEST-1", "000", "1 Test Rd"),)
