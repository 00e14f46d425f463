"""Drives an application through every kind of event, with petitioner personal data whose strings
are easy to search for (every one contains `PII_MARK`), for the stream tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    OrgLevel,
    Outcome,
    Petitioner,
    Rating,
    ReviewOutcome,
    SupervisionLevel,
    VisitMode,
)
from caseflow.services.app import Actor, CaseflowApp, Context

PII_MARK = "PIIX7Q"  # appears in every piece of petitioner personal data below, nowhere else
REGIONS = ("Qinghe County", "Baiyun Township", "Dongcheng District")
SUBJECTS = ("wage arrears", "land requisition compensation", "minimum living allowance")

REGISTRAR = Context(actor=Actor("staff-reg-1", "registrar"))
HANDLER = Context(actor=Actor("staff-hdl-1", "handler"))


def pii_strings(i: int) -> list[str]:
    """The personal data of case `i` (what must never appear in the public stream)."""
    return [
        f"Petitioner {PII_MARK} No.{i}",
        f"{PII_MARK}ID{i:06d}",
        f"{PII_MARK}-1380000{i:04d}",
        f"{i} Fake Road {PII_MARK}",
        f"Rep {PII_MARK} {i}",
        f"Pay me back {PII_MARK} {i}",
    ]


class Directory:
    """Orgs and leaders every case refers to."""

    def __init__(self, app: CaseflowApp):
        city = app.register_org(REGISTRAR, name="Test City Petition Office", level=OrgLevel.CITY)
        county = app.register_org(
            REGISTRAR, name="Test County Petition Office", level=OrgLevel.COUNTY, parent_id=city.id
        )
        self.city, self.county = city.id, county.id
        self.unit = app.register_org(
            REGISTRAR, name="Test Township Government", level=OrgLevel.TOWNSHIP, parent_id=county.id
        ).id
        # In office long before the visits the courses record (days back, in UTC dates).
        today = app.policy.local_date(app.clock())
        self.leaders = [
            app.register_leader(
                REGISTRAR,
                name=f"Leader {n}",
                title="Deputy Head",
                org_id=county.id,
                in_office_from=today - timedelta(days=365),
            ).id
            for n in ("Wang", "Li")
        ]
        # A leader's term: took office a month ago, renamed, moved up, left office today; and a
        # renamed org (every directory event once).
        zhao = app.register_leader(
            REGISTRAR,
            name="Leader Zhao",
            title="Head",
            org_id=county.id,
            in_office_from=today - timedelta(days=30),
        ).id
        app.rename_leader(REGISTRAR, zhao, name="Leader Zhao Jr.", title="Deputy Head")
        app.move_leader(REGISTRAR, zhao, to_org_id=city.id, on=today - timedelta(days=10))
        app.leave_office(REGISTRAR, zhao, on=today)
        app.rename_org(REGISTRAR, self.unit, name="Test Township People's Government")
        self.departed: UUID = zhao
        self.today: date = today


def receive(app: CaseflowApp, d: Directory, i: int, now: datetime) -> UUID:
    name, id_number, phone, address, rep, request = pii_strings(i)
    collective = i % 5 == 4
    return app.receive(
        REGISTRAR,
        channel=list(Channel)[i % len(Channel)],
        received_at=now - timedelta(days=3, minutes=i),
        receiving_org_id=d.county,
        petitioners=(Petitioner(name=name, id_number=id_number, phone=phone, address=address),),
        headcount=6 if collective else 1,
        representatives=(rep,) if collective else (),
        subject=SUBJECTS[i % len(SUBJECTS)],
        request=request,
        region=REGIONS[i % len(REGIONS)],
        category=list(Category)[i % len(Category)] if i % 2 else None,
    ).id


def full_course(app: CaseflowApp, d: Directory, case: UUID, i: int, now: datetime) -> None:
    """Accept, assign, visit, supervise, extend, resolve, evaluate, review, re-check, close."""
    leader = d.leaders[i % len(d.leaders)]
    app.screen(
        HANDLER,
        case,
        decision=Decision.ACCEPT,
        category=Category.APPEAL,
        to_org_id=None,
        reason="",
        route_channel=None,
        notified_at=now - timedelta(days=2),
    )
    app.assign(
        HANDLER,
        case,
        unit_id=d.unit,
        leader_id=leader,
        handler_id="staff-hdl-1",
        instructions="Verify the facts and reply in writing.",
    )
    app.visit(
        HANDLER,
        case,
        leader_id=leader,
        mode=VisitMode.RECEPTION,
        visited_on=now.date(),
        location="Reception hall",
        visitors=1 + i % 4,
        resolved_on_site=False,
    )
    app.supervise(
        HANDLER,
        case,
        level=SupervisionLevel.SUPERVISE,
        instruction="Report weekly.",
        due_at=now + timedelta(days=10),
        cleared=False,
    )
    app.supervise(
        HANDLER,
        case,
        level=SupervisionLevel.SUPERVISE,
        instruction="Done.",
        due_at=None,
        cleared=True,
    )
    app.extend(HANDLER, case, days=10, reason="Site survey needed", approved_by="staff-dir-1")
    app.resolve(HANDLER, case, outcome=Outcome.EXPLAINED, reply="Policy explained in writing.")
    app.evaluate(HANDLER, case, rating=Rating.DISSATISFIED)
    app.request_review(HANDLER, case, reason="Disagrees with the reply.")
    app.review(HANDLER, case, outcome=ReviewOutcome.UPHELD, reply="Upheld.")
    app.request_recheck(HANDLER, case, reason="Still disagrees.")
    app.recheck(HANDLER, case, outcome=ReviewOutcome.UPHELD, reply="Final.")
    app.close_case(HANDLER, case, reason="Re-checked: final.")


def short_course(app: CaseflowApp, d: Directory, case: UUID, i: int, now: datetime) -> None:
    """Accept, assign, a leader's visit or two, resolve."""
    leader = d.leaders[i % len(d.leaders)]
    app.screen(
        HANDLER,
        case,
        decision=Decision.ACCEPT,
        category=Category.SUGGESTION,
        to_org_id=None,
        reason="",
        route_channel=None,
        notified_at=None,
    )
    app.assign(HANDLER, case, unit_id=d.unit, leader_id=leader, handler_id=None, instructions="")
    for k in range(1 + i % 2):
        app.visit(
            HANDLER,
            case,
            leader_id=leader,
            mode=VisitMode.DOWNWARD,
            visited_on=(now - timedelta(days=k)).date(),
            location="Village committee",
            visitors=2,
            resolved_on_site=k == 0,
        )
    app.resolve(HANDLER, case, outcome=Outcome.SUPPORTED, reply="Arrears paid.")


def not_accepted(app: CaseflowApp, d: Directory, case: UUID, i: int, now: datetime) -> None:
    """Forwarded, rejected or routed to a legal channel, then closed."""
    kind = i % 3
    if kind == 0:
        app.screen(
            HANDLER,
            case,
            decision=Decision.FORWARD,
            category=None,
            to_org_id=d.city,
            reason="Belongs to the city.",
            route_channel=None,
            notified_at=now,
        )
    elif kind == 1:
        app.screen(
            HANDLER,
            case,
            decision=Decision.REJECT,
            category=None,
            to_org_id=None,
            reason="Outside the scope of petition work.",
            route_channel=None,
            notified_at=now,
        )
    else:
        app.screen(
            HANDLER,
            case,
            decision=Decision.ROUTE,
            category=None,
            to_org_id=None,
            reason="A labour arbitration matter.",
            route_channel=LegalChannel.ARBITRATION,
            notified_at=now,
        )
    app.close_case(HANDLER, case, reason="Not accepted here.")
    if kind == 2:  # the petitioner asked for their data to be erased (docs/privacy.md)
        app.erase(HANDLER, case, reason="The petitioner's request.")


COURSES = (full_course, short_course, not_accepted, short_course)


def drive(
    app: CaseflowApp,
    cases: int,
    *,
    start: int = 0,
    directory: Directory | None = None,
    now: datetime | None = None,
) -> Directory:
    """Register the directory (unless given) and take `cases` cases through their courses.
    Every event type of the catalog occurs once `cases` >= 3."""
    now = now or datetime.now(UTC)
    d = directory or Directory(app)
    for i in range(start, start + cases):
        case = receive(app, d, i, now)
        COURSES[i % len(COURSES)](app, d, case, i, now)
    return d
