"""How a Case takes the petitioner's say after a decision: the evaluation of a stage, review
(复查) and re-check (复核), and closure once the request window has lapsed or was waived.

Mixed into `Case` through `CaseDecisions`. A request comes within the window the law gives the
petitioner (judged on the request's business time), never predates the decision it answers, and
goes to a body above the one that decided (an ancestor in the org tree; the parent by default).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from caseflow.domain import clocks
from caseflow.domain.case_state import CaseState
from caseflow.domain.errors import RuleViolation, WindowClosed
from caseflow.domain.guards import member as _member
from caseflow.domain.guards import on_or_after as _on_or_after
from caseflow.domain.policy import Policy
from caseflow.domain.values import Meta, Rating, ReviewOutcome, Stage, Status

S = Status


class AppealDecisions(CaseState):
    """Command methods of `Case` after a decision; `self` is always a Case."""

    def evaluate(self, *, rating: Rating, meta: Meta, stage: Stage | None = None) -> None:
        """The petitioner's rating of the decision of `stage` (default: the latest decided)."""
        rating = _member(Rating, rating, "evaluated.rating")
        stage = _member(Stage, stage, "evaluated.stage") or self._decided_stage()
        if stage is None:
            raise RuleViolation(
                "Satisfaction is evaluated after a written reply or decision has been served.",
                "evaluated.after_decision",
            )
        served = {
            Stage.RESOLUTION: self.resolved_at,
            Stage.REVIEW: self.reviewed_at,
            Stage.RECHECK: self.rechecked_at,
        }[stage]
        if served is None:
            raise RuleViolation(
                f"The {stage} stage has no decision served to evaluate.", "evaluated.stage_decided"
            )
        if stage in self.evaluated:
            raise RuleViolation(
                f"The {stage} stage has been evaluated already: once per stage.",
                "evaluated.once_per_stage",
            )
        _on_or_after(
            meta.occurred_at,
            served,
            "An evaluation",
            f"the {stage} decision was served",
            "evaluated.order",
        )
        self.trigger_event(self.Evaluated, stage=stage, rating=rating, meta=meta)

    def request_review(
        self,
        *,
        to_org_id: UUID | None,
        above: tuple[UUID, ...],
        reason: str,
        meta: Meta,
        policy: Policy,
    ) -> None:
        """`above`: the ancestors of the unit that handled the case, nearest first."""
        self._require({S.RESOLVED}, "review_requested", "after the written reply, once")
        _on_or_after(
            meta.occurred_at,
            self.resolved_at,
            "A review request",
            "the reply it answers was served",
            "review_requested.order",
        )
        self._within_window(meta.occurred_at, "review_window", "review", policy)
        target = _higher_body(
            to_org_id, above, "A review", "the unit that handled the case", "review_requested"
        )
        self.trigger_event(self.ReviewRequested, to_org_id=target, reason=reason, meta=meta)

    def review(
        self, *, outcome: ReviewOutcome, reply: str, served_at: datetime, meta: Meta
    ) -> None:
        self._serve(
            self.Reviewed,
            S.REVIEW_REQUESTED,
            "reviewed",
            "after a review request",
            _member(ReviewOutcome, outcome, "reviewed.outcome"),
            reply,
            served_at,
            meta,
        )

    def request_recheck(
        self,
        *,
        to_org_id: UUID | None,
        above: tuple[UUID, ...],
        reason: str,
        meta: Meta,
        policy: Policy,
    ) -> None:
        """`above`: the ancestors of the review body, nearest first."""
        self._require({S.REVIEWED}, "recheck_requested", "after the review decision, once")
        _on_or_after(
            meta.occurred_at,
            self.reviewed_at,
            "A re-check request",
            "the review decision it answers was served",
            "recheck_requested.order",
        )
        self._within_window(meta.occurred_at, "recheck_window", "re-check", policy)
        target = _higher_body(
            to_org_id, above, "A re-check", "the review body", "recheck_requested"
        )
        self.trigger_event(self.RecheckRequested, to_org_id=target, reason=reason, meta=meta)

    def recheck(
        self, *, outcome: ReviewOutcome, reply: str, served_at: datetime, meta: Meta
    ) -> None:
        self._serve(
            self.Rechecked,
            S.RECHECK_REQUESTED,
            "rechecked",
            "after a re-check request",
            _member(ReviewOutcome, outcome, "rechecked.outcome"),
            reply,
            served_at,
            meta,
        )

    def close(self, *, reason: str, waived: bool, meta: Meta, policy: Policy) -> None:
        if self.status in (S.FORWARDED, S.REJECTED, S.ROUTED, S.RECHECKED):
            pass
        elif self.status is S.RESOLVED:
            self._window_lapsed_or_waived(meta, waived, "review_window", "review", policy)
        elif self.status is S.REVIEWED:
            self._window_lapsed_or_waived(meta, waived, "recheck_window", "re-check", policy)
        else:
            raise RuleViolation(
                f"A case that is {self.status} cannot be closed: closure follows a non-accept "
                "screening, a decision whose request window lapsed or was waived, or the re-check.",
                "closed.when",
            )
        _on_or_after(
            meta.occurred_at,
            self.last_step_at,
            "Closure",
            "the last step it closes",
            "closed.order",
        )
        self.trigger_event(self.Closed, reason=reason, waived=waived, meta=meta)

    # ----------------------------------------------------------------- helpers

    def _decided_stage(self) -> Stage | None:
        # The latest decision served; closure (销号) does not take away the petitioner's say on it.
        return self.decided_stage

    def _within_window(self, at: datetime, clock: str, what: str, policy: Policy) -> None:
        """`clock`: the petitioner's window in `domain/clocks.py` (its rule lives there)."""
        assert self.decided_at is not None
        last_day = clocks.due_on(clock, self.decided_at, policy)
        days = (last_day - policy.local_date(self.decided_at)).days
        if policy.local_date(at) > last_day:
            raise WindowClosed(
                f"A {what} must be requested within {days} days of the decision being served "
                f"(last day {last_day.isoformat()}); this request came on "
                f"{policy.local_date(at).isoformat()}.",
                f"{what.replace('-', '')}_requested.window",
            )

    def _window_lapsed_or_waived(
        self, meta: Meta, waived: bool, clock: str, what: str, policy: Policy
    ) -> None:
        assert self.decided_at is not None
        last_day = clocks.due_on(clock, self.decided_at, policy)
        if not waived and policy.local_date(meta.occurred_at) <= last_day:
            raise RuleViolation(
                f"The petitioner may still request a {what} until {last_day.isoformat()}; "
                "close after that, or record that the petitioner waived it.",
                "closed.window_open",
            )


def _higher_body(
    to_org_id: UUID | None, above: tuple[UUID, ...], what: str, below: str, event: str
) -> UUID:
    """The body a request goes to: the one named, if it is above `below`; else the nearest."""
    if to_org_id is None:
        if not above:
            raise RuleViolation(
                f"{what} goes to a body above {below}, and it has none: name the body (to_org_id).",
                f"{event}.superior",
            )
        return above[0]
    if to_org_id not in above:
        raise RuleViolation(
            f"{what} goes to a body above {below}; org {to_org_id} is not above it.",
            f"{event}.higher_body",
        )
    return to_org_id
