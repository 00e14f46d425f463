"""Every command takes the business time of what it records (default now); a time in the future
or before the step it follows is refused with 409 naming the rule, and nothing is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

RECEIVED = "2026-03-01T09:00:00+08:00"


@pytest.fixture
def later(http_clock):
    """The office enters its paper register months after the fact."""
    http_clock.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    return http_clock


class Steps:
    def __init__(self, client, world, container):
        self.client, self.world, self.container = client, world, container
        r = client.post(
            "/cases", json=world.case(received_at=RECEIVED), headers=world.h("registrar")
        )
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]

    def head(self) -> int:
        return self.container.app.recorder.max_notification_id()

    def post(self, path: str, body: dict, who: str = "handler"):
        return self.client.post(f"/cases/{self.id}/{path}", json=body, headers=self.world.h(who))

    def ok(self, path: str, body: dict, who: str = "handler") -> dict:
        r = self.post(path, body, who)
        assert r.status_code == 200, r.text
        return r.json()

    def refused(self, path: str, body: dict, rule: str, who: str = "handler") -> dict:
        before = self.head()
        r = self.post(path, body, who)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["rule"] == rule, r.json()
        assert self.head() == before  # nothing recorded
        return r.json()

    def accept(self, at: str) -> None:
        self.ok(
            "screening", {"decision": "accept", "category": "appeal", "decided_at": at}, "registrar"
        )

    def assign(self, at: str) -> None:
        self.ok(
            "assignment",
            {
                "unit_id": str(self.world.county),
                "leader_id": str(self.world.leader),
                "assigned_at": at,
            },
        )

    def resolve(self, at: str) -> None:
        self.ok("resolution", {"outcome": "supported", "reply": "paid", "served_at": at})


@pytest.fixture
def steps(client, world, http_container, later) -> Steps:
    return Steps(client, world, http_container)


def test_screening_dated_before_receipt_is_409(steps):
    steps.refused(
        "screening",
        {"decision": "accept", "category": "appeal", "decided_at": "2026-03-01T08:59:59+08:00"},
        "screened.order",
        "registrar",
    )


def test_screening_dated_in_the_future_is_409(steps):
    steps.refused(
        "screening",
        {"decision": "accept", "category": "appeal", "decided_at": "2026-07-01T09:00:00+08:00"},
        "time.future",
        "registrar",
    )


def test_screening_at_the_moment_of_receipt_is_recorded(steps):
    steps.accept(RECEIVED)


def test_assignment_before_acceptance_is_409(steps):
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.refused(
        "assignment",
        {
            "unit_id": str(steps.world.county),
            "leader_id": str(steps.world.leader),
            "assigned_at": "2026-03-04T09:00:00+08:00",
        },
        "assigned.order",
    )


def test_a_reply_served_before_acceptance_is_409(steps):
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-05T09:00:00+08:00")
    steps.refused(
        "resolution",
        {"outcome": "supported", "reply": "paid", "served_at": "2026-03-04T09:00:00+08:00"},
        "resolved.order",
    )


def test_a_reply_served_exactly_at_acceptance_is_recorded(steps):
    at = "2026-03-05T09:00:00+08:00"
    steps.accept(at)
    steps.assign(at)
    steps.resolve(at)


def test_an_extension_approved_before_assignment_is_409(steps):
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-06T09:00:00+08:00")
    steps.refused(
        "extensions",
        {
            "days": 10,
            "reason": "survey",
            "approved_by": "Director",
            "approved_at": "2026-03-05T12:00:00+08:00",
        },
        "extended.order",
    )


def _resolved(steps, served="2026-03-10T09:00:00+08:00"):
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-05T10:00:00+08:00")
    steps.resolve(served)


def test_a_review_request_before_the_reply_it_answers_is_409(steps):
    _resolved(steps)
    steps.refused(
        "review-requests",
        {"requested_at": "2026-03-09T09:00:00+08:00"},
        "review_requested.order",
        "registrar",
    )


def test_a_review_request_on_day_30_is_judged_on_its_business_time(steps):
    _resolved(steps)  # served 10 March: the last day is 9 April, the clock says 1 June
    steps.ok("review-requests", {"requested_at": "2026-04-09T23:00:00+08:00"}, "registrar")


def test_a_review_request_on_day_31_is_refused_even_entered_later(steps):
    _resolved(steps)
    steps.refused(
        "review-requests",
        {"requested_at": "2026-04-10T08:00:00+08:00"},
        "review_requested.window",
        "registrar",
    )


def test_a_review_decision_before_its_request_is_409(steps):
    _resolved(steps)
    steps.ok("review-requests", {"requested_at": "2026-03-20T09:00:00+08:00"}, "registrar")
    steps.refused(
        "review-decisions",
        {"outcome": "upheld", "reply": "upheld", "served_at": "2026-03-19T09:00:00+08:00"},
        "reviewed.order",
    )


def test_closure_before_the_decision_it_closes_is_409(steps):
    _resolved(steps)
    steps.refused(
        "closure",
        {"reason": "done", "waived": True, "closed_at": "2026-03-09T09:00:00+08:00"},
        "closed.order",
    )
    steps.ok(
        "closure", {"reason": "done", "waived": True, "closed_at": "2026-03-10T09:00:00+08:00"}
    )


def test_clearing_oversight_before_it_was_opened_is_409(steps):
    steps.ok(
        "supervision",
        {"due_at": "2026-03-20T09:00:00+08:00", "decided_at": "2026-03-03T09:00:00+08:00"},
        "supervisor",
    )
    steps.refused(
        "supervision",
        {"cleared": True, "decided_at": "2026-03-02T09:00:00+08:00"},
        "supervised.order",
        "supervisor",
    )


def test_the_business_time_is_what_the_case_and_its_audit_show(
    views_client, world, http_container, later
):
    steps = Steps(views_client, world, http_container)
    steps.accept("2026-03-05T09:00:00+08:00")
    row = views_client.get(
        f"/cases/{steps.id}", params={"min_position": steps.head()}, headers=world.h("supervisor")
    ).json()
    assert row["accepted_at"].startswith("2026-03-05T01:00:00")  # UTC form
    history = views_client.get(
        f"/cases/{steps.id}/history",
        params={"min_position": steps.head()},
        headers=world.h("supervisor"),
    ).json()
    screened = next(i for i in history["events"] if i["event"] == "case.screened")
    assert screened["occurred_at"].startswith("2026-03-05T01:00:00")
    assert not screened["recorded_at"].startswith("2026-03-05")  # recorded when entered


def test_time_travel_by_business_time_shows_the_case_as_it_stood_in_the_world(
    views_client, world, http_container, later
):
    steps = Steps(views_client, world, http_container)
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-06T09:00:00+08:00")

    def state(by: str) -> dict:
        r = views_client.get(
            f"/cases/{steps.id}/history",
            headers=world.h("supervisor"),
            params={"as_of": "2026-03-05T12:00:00+08:00", "by": by, "min_position": steps.head()},
        )
        assert r.status_code == 200, r.text
        return r.json()["state"]

    assert state("business")["status"] == "accepted"  # assigned only the next day
    clocks = {c["name"]: c for c in state("business")["clocks"]}
    assert clocks["handling"]["days_left"] == 60  # evaluated on 5 March
    r = views_client.get(
        f"/cases/{steps.id}/history",
        headers=world.h("supervisor"),
        params={"as_of": "2026-03-05T12:00:00+08:00"},
    )
    assert r.status_code == 404  # by recorded time: nothing had been entered by then


def test_times_are_shown_in_one_form_whatever_offset_they_were_sent_with(
    views_client, world, http_container, later
):
    steps = Steps(views_client, world, http_container)
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-05T10:00:00+08:00")
    steps.resolve("2026-03-07T00:30:00+08:00")  # 6 March in UTC, 7 March locally
    h = world.h("supervisor")
    wait = {"min_position": steps.head()}
    row = views_client.get(f"/cases/{steps.id}", params=wait, headers=h).json()
    history = views_client.get(
        f"/cases/{steps.id}/history", params=wait | {"as_of": "4"}, headers=h
    ).json()
    resolved = history["events"][-1]
    shown = [
        row["resolved_at"],
        history["state"]["resolved_at"],
        resolved["occurred_at"],
        resolved["payload"]["served_at"],
    ]
    assert shown == ["2026-03-06T16:30:00+00:00"] * 4
    assert "2026-03-07" in resolved["summary"]  # a day a person reads: the local day


def test_the_case_keeps_each_stages_decision_and_rating(views_client, world, http_container, later):
    steps = Steps(views_client, world, http_container)
    steps.accept("2026-03-05T09:00:00+08:00")
    steps.assign("2026-03-05T10:00:00+08:00")
    steps.resolve("2026-03-07T09:00:00+08:00")
    steps.ok("review-requests", {"requested_at": "2026-03-10T09:00:00+08:00"}, "registrar")
    steps.ok(
        "review-decisions",
        {"outcome": "revised", "reply": "more", "served_at": "2026-03-20T09:00:00+08:00"},
    )
    steps.ok("evaluations", {"rating": "satisfied"}, "registrar")  # the review, the latest
    steps.ok(
        "evaluations",
        {
            "rating": "dissatisfied",
            "stage": "resolution",
            "evaluated_at": "2026-03-21T09:00:00+08:00",
        },
        "registrar",
    )
    row = views_client.get(
        f"/cases/{steps.id}", params={"min_position": steps.head()}, headers=world.h("supervisor")
    ).json()
    assert {s: (v["outcome"], v["rating"]) for s, v in row["stages"].items()} == {
        "resolution": ("supported", "dissatisfied"),
        "review": ("revised", "satisfied"),
    }
    assert row["stages"]["resolution"]["evaluated_at"] == "2026-03-21T01:00:00+00:00"


def test_every_step_may_be_dated_exactly_at_the_step_it_follows(steps):
    at = "2026-03-05T09:00:00+08:00"
    steps.accept(at)
    steps.ok("supervision", {"due_at": "2026-03-20T09:00:00+08:00", "decided_at": at}, "supervisor")
    steps.ok("supervision", {"cleared": True, "decided_at": at}, "supervisor")
    steps.assign(at)
    steps.ok(
        "extensions", {"days": 5, "reason": "survey", "approved_by": "Director", "approved_at": at}
    )
    steps.resolve(at)
    steps.ok("evaluations", {"rating": "dissatisfied", "evaluated_at": at}, "registrar")
    for path, body in (
        ("review-requests", {"requested_at": at}),
        ("review-decisions", {"outcome": "upheld", "reply": "-", "served_at": at}),
        ("recheck-requests", {"requested_at": at}),
        ("recheck-decisions", {"outcome": "upheld", "reply": "-", "served_at": at}),
        ("closure", {"reason": "final", "closed_at": at}),
    ):
        steps.ok(path, body, "handler")


def test_a_recheck_request_and_decision_before_what_they_follow_are_409(steps):
    _resolved(steps)
    steps.ok("review-requests", {"requested_at": "2026-03-11T09:00:00+08:00"}, "registrar")
    steps.ok(
        "review-decisions",
        {"outcome": "upheld", "reply": "-", "served_at": "2026-03-20T09:00:00+08:00"},
    )
    steps.refused(
        "recheck-requests",
        {"requested_at": "2026-03-19T09:00:00+08:00"},
        "recheck_requested.order",
        "registrar",
    )
    steps.ok("recheck-requests", {"requested_at": "2026-03-25T09:00:00+08:00"}, "registrar")
    steps.refused(
        "recheck-decisions",
        {"outcome": "upheld", "reply": "-", "served_at": "2026-03-24T09:00:00+08:00"},
        "rechecked.order",
    )


def test_an_evaluation_before_the_decision_it_rates_is_409(steps):
    _resolved(steps)
    steps.refused(
        "evaluations",
        {"rating": "satisfied", "evaluated_at": "2026-03-09T09:00:00+08:00"},
        "evaluated.order",
        "registrar",
    )
