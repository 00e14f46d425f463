"""Property test: random sequences of valid and invalid commands never leave a case in a state
the rules forbid, and a refused command appends nothing."""

from __future__ import annotations

from copy import deepcopy
from datetime import timedelta
from uuid import uuid4

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from caseflow.domain.case import Case
from caseflow.domain.errors import DomainError
from caseflow.domain.values import (
    Category,
    Decision,
    LegalChannel,
    Outcome,
    Rating,
    ReviewOutcome,
    SupervisionLevel,
    VisitMode,
)
from tests.unit.domain.builders import (
    LEADER,
    NEXT_LEVEL,
    POLICY,
    RECEIVED,
    SUPERIOR,
    UNIT,
    meta,
    receive,
)
from tests.unit.domain.rules_oracle import check_history

maybe = st.none().__or__


class CaseLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = RECEIVED
        self.case = receive()
        self.history: list[Case.Event] = list(self.case.collect_events())

    # ------------------------------------------------------------------ helpers

    def attempt(self, command) -> None:
        before = (self.case.version, deepcopy(vars(self.case)))
        try:
            command(meta(self.now))
        except DomainError as refused:
            assert refused.rule and str(refused), "a refusal names its rule and says why"
            assert not self.case.pending_events, "a refused command appends nothing"
            assert (self.case.version, vars(self.case)) == before, "and changes nothing"
            event(f"refused {refused.rule}")
        else:
            new = self.case.collect_events()
            assert len(new) == 1, "an accepted command appends exactly one event"
            assert new[0].originator_version == before[0] + 1
            self.history.extend(new)

    # -------------------------------------------------------------------- rules

    # mostly hours, sometimes weeks: runs must reach the windows' edges without always lapsing
    @rule(hours=st.one_of(st.integers(0, 48), st.integers(0, 24 * 35)))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(days=st.sampled_from([15, 16, 29, 30, 31]))
    def days_pass(self, days: int) -> None:
        # whole days land the next command on either side of a limit's last day
        self.now += timedelta(days=days)

    @rule(
        decision=st.sampled_from(Decision),
        category=maybe(st.sampled_from(Category)),
        to_org=maybe(st.just(SUPERIOR)),
        reason=st.sampled_from(["", "不属于受理范围"]),
        route=maybe(st.sampled_from(LegalChannel)),
        prior_final=st.booleans(),
    )
    def screen(self, decision, category, to_org, reason, route, prior_final) -> None:
        self.attempt(
            lambda m: self.case.screen(
                decision=decision,
                category=category,
                to_org_id=to_org,
                reason=reason,
                route_channel=route,
                notified_at=None,
                prior_is_final=prior_final,
                meta=m,
            )
        )

    @rule(unit=st.sampled_from([UNIT, uuid4()]))
    def assign(self, unit) -> None:
        self.attempt(
            lambda m: self.case.assign(
                unit_id=unit, leader_id=LEADER, handler_id="h-1", instructions="", meta=m
            )
        )

    @rule(mode=st.sampled_from(VisitMode), visitors=st.integers(0, 40), days_ago=st.integers(0, 3))
    def visit(self, mode, visitors, days_ago) -> None:
        on = POLICY.local_date(self.now) - timedelta(days=days_ago)
        self.attempt(
            lambda m: self.case.visit(
                leader_id=LEADER,
                mode=mode,
                visited_on=on,
                location="大厅",
                visitors=visitors,
                resolved_on_site=False,
                meta=m,
                policy=POLICY,
            )
        )

    @rule(days=st.integers(-1, 35), approved_by=st.sampled_from(["", "主任"]))
    def extend(self, days, approved_by) -> None:
        self.attempt(
            lambda m: self.case.extend(
                days=days, reason="复杂", approved_by=approved_by, meta=m, policy=POLICY
            )
        )

    @rule(outcome=st.sampled_from(Outcome))
    def resolve(self, outcome) -> None:
        self.attempt(
            lambda m: self.case.resolve(outcome=outcome, reply="答复", served_at=self.now, meta=m)
        )

    @rule(rating=st.sampled_from(Rating))
    def evaluate(self, rating) -> None:
        self.attempt(lambda m: self.case.evaluate(rating=rating, meta=m))

    @rule()
    def request_review(self) -> None:
        self.attempt(
            lambda m: self.case.request_review(
                to_org_id=SUPERIOR, above=(SUPERIOR,), reason="不服", meta=m, policy=POLICY
            )
        )

    @rule(outcome=st.sampled_from(ReviewOutcome))
    def review(self, outcome) -> None:
        self.attempt(
            lambda m: self.case.review(
                outcome=outcome, reply="复查意见", served_at=self.now, meta=m
            )
        )

    @rule()
    def request_recheck(self) -> None:
        self.attempt(
            lambda m: self.case.request_recheck(
                to_org_id=NEXT_LEVEL, above=(NEXT_LEVEL,), reason="不服", meta=m, policy=POLICY
            )
        )

    @rule(outcome=st.sampled_from(ReviewOutcome))
    def recheck(self, outcome) -> None:
        self.attempt(
            lambda m: self.case.recheck(
                outcome=outcome, reply="复核意见", served_at=self.now, meta=m
            )
        )

    @rule(
        level=st.sampled_from(SupervisionLevel),
        cleared=st.booleans(),
        due_in_days=maybe(st.integers(0, 30)),
    )
    def supervise(self, level, cleared, due_in_days) -> None:
        due = None if due_in_days is None else self.now + timedelta(days=due_in_days)
        self.attempt(
            lambda m: self.case.supervise(
                level=level, instruction="督办", due_at=due, cleared=cleared, meta=m
            )
        )

    @rule(waived=st.booleans())
    def close(self, waived) -> None:
        self.attempt(lambda m: self.case.close(reason="销号", waived=waived, meta=m, policy=POLICY))

    @rule()
    def advance(self) -> None:
        # The next step of the ordinary path, as a rule of its own: random commands alone seldom
        # get past the review, so this biases runs toward the deeper stages and their windows.
        step = {
            "registered": lambda: self.screen(
                Decision.ACCEPT, Category.APPEAL, None, "", None, False
            ),
            "accepted": lambda: self.assign(UNIT),
            "assigned": lambda: self.resolve(Outcome.EXPLAINED),
            "resolved": self.request_review,
            "review_requested": lambda: self.review(ReviewOutcome.UPHELD),
            "reviewed": self.request_recheck,
            "recheck_requested": lambda: self.recheck(ReviewOutcome.REVISED),
        }.get(self.case.status.value, lambda: self.close(False))
        step()

    # --------------------------------------------------------------- invariants

    @invariant()
    def history_obeys_every_rule(self) -> None:
        assert check_history(self.history, POLICY) is self.case.status
        event(f"reached {self.case.status.value}")  # statistics: how deep the runs get

    @invariant()
    def replaying_the_history_rebuilds_the_same_case(self) -> None:
        rebuilt = None
        for past in self.history:
            rebuilt = past.mutate(rebuilt)
        assert vars(rebuilt) == vars(self.case)

    @invariant()
    def extensions_never_exceed_the_limit(self) -> None:
        assert 0 <= self.case.extension_days <= POLICY.max_extension_days


CaseLifecycle.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseLifecycle = CaseLifecycle.TestCase
