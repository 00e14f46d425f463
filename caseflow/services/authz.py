"""Who may do what, and see whose data: the permission matrix, the org-scope rule and the
personal-data rule, in one place.

Roles (DESIGN §5) and what they are for:

- ``registrar``: the petition office's front desk. Registers and screens petitions, records
  reception visits, the petitioner's evaluation and requests for review / re-check, closes cases.
- ``handler``: case officer of a responsible unit. Everything a registrar does on a case, plus
  assignment, extension and the written reply; decides reviews and re-checks when the case
  reaches the handler's (superior) org.
- ``leader``: the leader who owns a case (领导包案). Assigns, receives petitioners, extends,
  resolves, decides reviews and re-checks; reads reception statistics and KPIs.
- ``supervisor``: oversight (督办). Reads everything, including personal data, in every org;
  opens and clears supervision, decides reviews and re-checks, registers orgs and leaders.
- ``analyst``: the data team. Reads cases, history, audit, statistics and the event feed in
  every org, never petitioner personal data. Changes nothing.
- ``operator``: runs the system. Org/leader directory, projections (status, rebuild), the event
  feed and the audit trail (both without personal data). No case contents.

Org scope: registrars, handlers and leaders see and act on the cases of their own org and the
orgs below it; a case belongs to its receiving org and to the unit it is assigned to. The other
roles are not org-bound.

Personal data (petitioners' names, id numbers, phones, addresses, the representatives and the
petitioner's own request text) is shown to registrars, handlers, leaders (within their scope) and
supervisors; never to analysts, operators, the ``/events`` feed or the stream. Free text typed in
someone's own words (subject, reasons, replies, instructions, location) is treated as possibly
personal: those readers get only the fields a deployment publishes (`services.public.FREE_TEXT`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any
from uuid import UUID

from caseflow.domain.case import Case
from caseflow.services.app import Actor
from caseflow.services.errors import Forbidden, NotFound
from caseflow.services.public import Disclosure, public_data


class Role(StrEnum):
    REGISTRAR = "registrar"
    HANDLER = "handler"
    LEADER = "leader"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    OPERATOR = "operator"


class Action(StrEnum):
    REGISTER_ORG = "org.register"
    REGISTER_LEADER = "leader.register"
    RECEIVE = "case.receive"
    SCREEN = "case.screen"
    ASSIGN = "case.assign"
    VISIT = "case.visit"
    EXTEND = "case.extend"
    RESOLVE = "case.resolve"
    EVALUATE = "case.evaluate"
    REQUEST_REVIEW = "case.request_review"
    REVIEW = "case.review"
    REQUEST_RECHECK = "case.request_recheck"
    RECHECK = "case.recheck"
    SUPERVISE = "case.supervise"
    CLOSE = "case.close"
    READ_CASES = "case.read"
    READ_STATISTICS = "statistics.read"
    READ_AUDIT = "audit.read"
    READ_FEED = "events.read"
    READ_PROJECTIONS = "projections.read"
    REBUILD_PROJECTIONS = "projections.rebuild"
    READ_INTEGRITY = "integrity.read"
    READ_CASE_INTEGRITY = "case.integrity.read"


R = Role
_DESK = frozenset({R.REGISTRAR, R.HANDLER})  # the petition office's front-line staff
_DECIDERS = frozenset({R.HANDLER, R.LEADER, R.SUPERVISOR})  # review / re-check decisions

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.REGISTER_ORG: frozenset({R.OPERATOR, R.SUPERVISOR}),
    Action.REGISTER_LEADER: frozenset({R.OPERATOR, R.SUPERVISOR}),
    Action.RECEIVE: _DESK,
    Action.SCREEN: _DESK,
    Action.ASSIGN: frozenset({R.REGISTRAR, R.HANDLER, R.LEADER}),
    Action.VISIT: frozenset({R.REGISTRAR, R.HANDLER, R.LEADER}),
    Action.EXTEND: frozenset({R.HANDLER, R.LEADER}),
    Action.RESOLVE: frozenset({R.HANDLER, R.LEADER}),
    Action.EVALUATE: _DESK,
    Action.REQUEST_REVIEW: _DESK,
    Action.REVIEW: _DECIDERS,
    Action.REQUEST_RECHECK: _DESK,
    Action.RECHECK: _DECIDERS,
    Action.SUPERVISE: frozenset({R.SUPERVISOR}),
    Action.CLOSE: frozenset({R.REGISTRAR, R.HANDLER, R.SUPERVISOR}),
    Action.READ_CASES: frozenset({R.REGISTRAR, R.HANDLER, R.LEADER, R.SUPERVISOR, R.ANALYST}),
    Action.READ_STATISTICS: frozenset({R.LEADER, R.SUPERVISOR, R.ANALYST}),
    Action.READ_AUDIT: frozenset({R.SUPERVISOR, R.ANALYST, R.OPERATOR}),
    Action.READ_FEED: frozenset({R.SUPERVISOR, R.ANALYST, R.OPERATOR}),
    Action.READ_PROJECTIONS: frozenset({R.SUPERVISOR, R.OPERATOR}),
    Action.REBUILD_PROJECTIONS: frozenset({R.OPERATOR}),
    Action.READ_INTEGRITY: frozenset({R.SUPERVISOR, R.OPERATOR}),
    # the stored bytes, personal data included: only roles that see it (SEES_PERSONAL_DATA)
    Action.READ_CASE_INTEGRITY: frozenset({R.REGISTRAR, R.HANDLER, R.LEADER, R.SUPERVISOR}),
}

ORG_SCOPED = frozenset({R.REGISTRAR, R.HANDLER, R.LEADER})
SEES_PERSONAL_DATA = frozenset({R.REGISTRAR, R.HANDLER, R.LEADER, R.SUPERVISOR})


def allowed(role: str, action: Action) -> bool:
    """True when the role may perform the action somewhere (org scope is checked separately)."""
    return role in PERMISSIONS[action]


def require(actor: Actor, action: Action) -> None:
    """Raise Forbidden unless the actor's role may perform the action."""
    if not allowed(actor.role, action):
        raise Forbidden(f"The {actor.role} role may not perform {action.value}.")


def sees_personal_data(role: str) -> bool:
    return role in SEES_PERSONAL_DATA


def event_for_role(
    role: str, name: str, payload: Mapping[str, Any], disclosure: Disclosure
) -> dict[str, Any]:
    """An event payload as the role may see it: whole, or without personal data and the free
    text the deployment does not publish."""
    return dict(payload) if sees_personal_data(role) else public_data(name, payload, disclosure)


def row_for_role(role: str, row: Mapping[str, Any], disclosure: Disclosure) -> dict[str, Any]:
    """A case_status row (or a case as it stood) as the role may see it."""
    return dict(row) if sees_personal_data(role) else disclosure.row(row)


class OrgTree:
    """Ancestry of orgs, memoised. Orgs never move once registered, so the memo never goes stale;
    `parent_of` raises NotFound (or returns None for a root)."""

    def __init__(self, parent_of: Callable[[UUID], UUID | None]):
        self._parent_of = parent_of
        self._parents: dict[UUID, UUID | None] = {}

    def ancestry(self, org_id: UUID) -> list[UUID]:
        """The org and every org above it, nearest first (unknown orgs are their own root)."""
        chain, seen = [], set()
        current: UUID | None = org_id
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self._parent(current)
        return chain

    def within(self, scope_root: UUID, org_id: UUID) -> bool:
        """True when `org_id` is `scope_root` or below it."""
        return scope_root in self.ancestry(org_id)

    def _parent(self, org_id: UUID) -> UUID | None:
        if org_id not in self._parents:
            try:
                self._parents[org_id] = self._parent_of(org_id)
            except NotFound:
                return None  # not memoised: the org may be registered later
        return self._parents[org_id]


def in_scope(actor: Actor, case_orgs: Iterable[UUID | None], tree: OrgTree) -> bool:
    """May this actor see a case that belongs to `case_orgs` (receiving org, assigned unit)?"""
    if actor.role not in ORG_SCOPED:
        return True
    if actor.org_id is None:
        return False
    return any(org is not None and tree.within(actor.org_id, org) for org in case_orgs)


def as_leader(actor: Actor) -> UUID | None:
    """The leader the actor is, if any: a leader signs in with their leader id as subject."""
    try:
        return UUID(actor.id)
    except ValueError:
        return None


def is_accused(actor: Actor, case: Case, tree: OrgTree) -> bool:
    """Is the actor the leader an accusation names, or staff of the accused org (or an org
    under it)? They never see the accusation (回避), whatever their role."""
    if case.accused_leader_id is not None and as_leader(actor) == case.accused_leader_id:
        return True
    return (
        case.accused_org_id is not None
        and actor.org_id is not None
        and tree.within(case.accused_org_id, actor.org_id)
    )


def sees_case(actor: Actor, case: Case, tree: OrgTree) -> bool:
    """May this actor know that the case exists at all?"""
    return in_scope(actor, case.orgs, tree) and not is_accused(actor, case, tree)


def require_case(actor: Actor, action: Action, case: Case, tree: OrgTree) -> None:
    """Raise Forbidden unless the actor's role may perform `action`, and NotFound -- the very
    answer an unknown id gets, so that nobody learns a case exists -- when the case is outside
    the actor's scope or accuses them."""
    require(actor, action)
    if not sees_case(actor, case, tree):
        raise NotFound("case", case.id)
    if (
        action is Action.SCREEN
        and case.awaiting_forwarded_decision
        and not in_scope(actor, (case.forwarded_to,), tree)
    ):
        raise Forbidden(
            "A forwarded petition is screened by the body it was forwarded to "
            f"({case.forwarded_to}) or a body above it."
        )


def require_tasking(actor: Actor, unit_id: UUID, leader_org: UUID, tree: OrgTree) -> None:
    """An office tasks (交办) only units and leaders in its own subtree: a county cannot make
    another city's leader own its case and so change their statistics."""
    if actor.role not in ORG_SCOPED:
        return
    for what, org in (("unit", unit_id), ("leader", leader_org)):
        if not in_scope(actor, (org,), tree):
            raise Forbidden(
                f"The {what} is outside your org ({actor.org_id}) and those below "
                "it: an office assigns only to its own units and leaders."
            )


def require_visit(actor: Actor, case: Case, leader_org: UUID, tree: OrgTree) -> None:
    """A visit is recorded for a leader of the caller's subtree or of the case's unit's."""
    if actor.role not in ORG_SCOPED or in_scope(actor, (leader_org,), tree):
        return
    if case.unit_id is not None and tree.within(case.unit_id, leader_org):
        return
    raise Forbidden(
        f"The leader's org is outside your own ({actor.org_id}) and the case's "
        "unit: record visits of your own leaders."
    )


def require_org(actor: Actor, action: Action, org_id: UUID, tree: OrgTree) -> None:
    """Raise Forbidden unless the actor may perform `action` for an org (e.g. register a
    petition received there)."""
    require(actor, action)
    if not in_scope(actor, (org_id,), tree):
        raise Forbidden(
            f"The org {org_id} is outside your own ({actor.org_id}) and those below it."
        )
