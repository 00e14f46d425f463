"""How a Case takes the petitioner's appeals: review (复查) and re-check (复核).

Mixed into `Case` through `CaseDecisions`. A request comes within the window the law gives the
petitioner (judged on the request's business time), never predates the decision it answers, and
goes to a body above the one that decided (an ancestor in the org tree; the parent by default).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from caseflow.domain.errors import RuleViolation, WindowClosed
from caseflow.domain.guards import member as _member
from caseflow.domain.guards import on_or_after as _on_or_after
from caseflow.domain.policy import Policy
from caseflow.domain.values import Meta, ReviewOutcome, Status

S = Status


class AppealDecisions:
    """Command methods of `Case` for review and re-check; `self` is always a Case."""

    def request_review(self, *, to_org_id: UUID | None, above: tuple[UUID, ...], reason: str,
                       meta: Meta, policy: Policy) -> None:
        """`above`: the ancestors of the unit that handled the case, nearest first."""
        self._require({S.RESOLVED}, "review_requested", "after the written reply, once")
        _on_or_after(meta.occurred_at, self.resolved_at, "A review request",
                     "the reply it answers was served", "review_requested.order")
        self._within_window(meta.occurred_at, policy.review_window_days, "review", policy)
        target = _higher_body(to_org_id, above, "A review", "the unit that handled the case",
                              "review_requested")
        self.trigger_event(self.ReviewRequested, to_org_id=target, reason=reason, meta=meta)

    def review(
        self, *, outcome: ReviewOutcome, reply: str, served_at: datetime, meta: Meta
    ) -> None:
        self._serve(self.Reviewed, S.REVIEW_REQUESTED, "reviewed", "after a review request",
                    _member(ReviewOutcome, outcome, "reviewed.outcome"), reply, served_at, meta)

    def request_recheck(self, *, to_org_id: UUID | None, above: tuple[UUID, ...], reason: str,
                        meta: Meta, policy: Policy) -> None:
        """`above`: the ancestors of the review body, nearest first."""
        self._require({S.REVIEWED}, "recheck_requested", "after the review decision, once")
        _on_or_after(meta.occurred_at, self.reviewed_at, "A re-check request",
                     "the review decision it answers was served", "recheck_requested.order")
        self._within_window(meta.occurred_at, policy.recheck_window_days, "re-check", policy)
        target = _higher_body(to_org_id, above, "A re-check", "the review body",
                              "recheck_requested")
        self.trigger_event(self.RecheckRequested, to_org_id=target, reason=reason, meta=meta)

    def recheck(
        self, *, outcome: ReviewOutcome, reply: str, served_at: datetime, meta: Meta
    ) -> None:
        self._serve(self.Rechecked, S.RECHECK_REQUESTED, "rechecked", "after a re-check request",
                    _member(ReviewOutcome, outcome, "rechecked.outcome"), reply, served_at, meta)

    # ----------------------------------------------------------------- helpers

    def _within_window(self, at: datetime, days: int, what: str, policy: Policy) -> None:
        assert self.decided_at is not None
        last_day = policy.due(self.decided_at, days)
        if policy.local_date(at) > last_day:
            raise WindowClosed(
                f"A {what} must be requested within {days} days of the decision being served "
                f"(last day {last_day.isoformat()}); this request came on "
                f"{policy.local_date(at).isoformat()}.",
                f"{what.replace('-', '')}_requested.window",
            )

    def _window_lapsed_or_waived(
        self, meta: Meta, waived: bool, days: int, what: str, policy: Policy
    ) -> None:
        assert self.decided_at is not None
        last_day = policy.due(self.decided_at, days)
        if not waived and policy.local_date(meta.occurred_at) <= last_day:
            raise RuleViolation(
                f"The petitioner may still request a {what} until {last_day.isoformat()}; "
                "close after that, or record that the petitioner waived it.",
                "closed.window_open",
            )


def _higher_body(to_org_id: UUID | None, above: tuple[UUID, ...], what: str, below: str,
                 event: str) -> UUID:
    """The body a request goes to: the one named, if it is above `below`; else the nearest."""
    if to_org_id is None:
        if not above:
            raise RuleViolation(f"{what} goes to a body above {below}, and it has none: "
                                "name the body (to_org_id).", f"{event}.superior")
        return above[0]
    if to_org_id not in above:
        raise RuleViolation(f"{what} goes to a body above {below}; org {to_org_id} is not "
                            "above it.", f"{event}.higher_body")
    return to_org_id
