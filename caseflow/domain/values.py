"""Enumerations and value objects shared by the aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    LETTER = "letter"
    VISIT = "visit"
    ONLINE = "online"
    PHONE = "phone"
    FAX = "fax"


class Category(StrEnum):
    SUGGESTION = "suggestion"  # 建议意见类
    ACCUSATION = "accusation"  # 检举控告类
    APPEAL = "appeal"  # 申诉求决类


class Decision(StrEnum):
    ACCEPT = "accept"  # 受理
    FORWARD = "forward"  # 转送
    REJECT = "reject"  # 不予受理
    ROUTE = "route"  # 诉访分离: to a legal channel


class LegalChannel(StrEnum):
    LITIGATION = "litigation"
    ARBITRATION = "arbitration"
    ADMINISTRATIVE_REVIEW = "administrative_review"


class VisitMode(StrEnum):
    RECEPTION = "reception"  # 接访
    APPOINTMENT = "appointment"  # 约访
    DOWNWARD = "downward"  # 下访
    RETURN = "return"  # 回访
    JOINT = "joint"  # 联合接访


class Outcome(StrEnum):
    SUPPORTED = "supported"
    EXPLAINED = "explained"
    NOT_SUPPORTED = "not_supported"


class ReviewOutcome(StrEnum):
    UPHELD = "upheld"
    REVISED = "revised"


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class Stage(StrEnum):
    RESOLUTION = "resolution"
    REVIEW = "review"
    RECHECK = "recheck"


class SupervisionLevel(StrEnum):
    SUPERVISE = "supervise"  # 督办
    LISTED = "listed"  # 挂牌督办


class OrgLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Status(StrEnum):
    REGISTERED = "registered"
    ACCEPTED = "accepted"
    FORWARDED = "forwarded"
    REJECTED = "rejected"
    ROUTED = "routed"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    REVIEW_REQUESTED = "review_requested"
    REVIEWED = "reviewed"
    RECHECK_REQUESTED = "recheck_requested"
    RECHECKED = "rechecked"
    CLOSED = "closed"


@dataclass(frozen=True)
class Petitioner:
    """Personal data: never shown to analysts, the public feed or the accused."""

    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Meta:
    """Who did it, on whose behalf, in answer to what, and when it happened in the world."""

    actor_id: str
    actor_role: str
    correlation_id: str
    causation_id: str | None
    occurred_at: datetime
    idempotency_key: str | None = None
    request_hash: str | None = None
