"""Query functions over the views (read through the SQL views that a rebuild re-points)."""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from caseflow.domain.clocks import case_clocks
from caseflow.domain.policy import Policy
from caseflow.infra.views.dialect import Dialect
from caseflow.infra.views.unit import TablePlan
from caseflow.projections.audit import AUDIT
from caseflow.projections.case_status import CASE_STAGES, CASE_STATUS, clock_facts
from caseflow.projections.directory import LEADERS, ORGS
from caseflow.projections.queries import AuditQuery, CaseQuery, Page, clamp_limit

COUNT_CAP = 10_000
BROAD_SUBTREE = 8  # orgs; a county with its townships is about this size
FEW_SORTED = 2_000  # a selection this small is listed from its keys, sorted here (`cases`)
# Columns with an index that holds the orgs (projections/case_status.py), and the values most
# cases have: any other value is rare, and its index is the way in (see `_case_filters`).
COMMON: dict[str, tuple[Any, ...]] = {
    "repeat": (False,),
    "supervision_open": (False,),
    "decision": ("accept",),
}


class BadCursor(ValueError):
    """A paging cursor that this server did not hand out."""


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode()


def _uncursor(text: str, n: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(text.encode()).decode().split("|")
    except Exception:
        raise BadCursor("the page cursor is not valid; start again without it") from None
    if len(parts) != n:
        raise BadCursor("the page cursor is not valid; start again without it")
    return parts


class ViewQueries:
    """Reads for the API; `reading()` yields a connection (per thread / from a pool)."""

    def __init__(self, dialect: Dialect, reading: Any, policy: Policy):
        self.d, self.reading, self.policy = dialect, reading, policy
        self.cases_plan = TablePlan(CASE_STATUS, "case_status", dialect)
        self.stages_plan = TablePlan(CASE_STAGES, "case_stages", dialect)
        self.audit_plan = TablePlan(AUDIT, "audit", dialect)
        self.orgs_plan = TablePlan(ORGS, "orgs", dialect)
        self.leaders_plan = TablePlan(LEADERS, "leaders", dialect)

    def _value(self, type_: str, value: Any) -> Any:
        encode = self.d.to_db.get(type_)
        return value if encode is None or value is None else encode(value)

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple]:
        with self.reading() as conn:
            return conn.execute(self.d.sql(sql), params).fetchall()

    # --------------------------------------------------------------------- cases

    def cases(self, q: CaseQuery, now: datetime) -> Page:
        """The status list: filters, newest received first, keyset or offset paging, total."""
        where, params = self._case_filters(q, now)
        limit = clamp_limit(q.limit)
        offset = max(0, int(q.offset))
        after = None
        if q.after:
            at, case_id = _uncursor(q.after, 2)
            after = (
                self._value("timestamp", datetime.fromisoformat(at)),
                self._value("uuid", UUID(case_id)),
            )
            offset = 0
        # Most lists select a few hundred cases. Their keys (the list order) come from the
        # filter's index alone -- each index holds the orgs, the order and the id -- and give
        # the total and the page at once: one pass, sorted here, then the page's rows by id.
        keys = self._fetch(
            f"SELECT c.received_at, c.case_id FROM case_status c WHERE {where} "
            f"LIMIT {FEW_SORTED + 1}",
            params,
        )
        if len(keys) <= FEW_SORTED:
            keys.sort(reverse=True)
            total, capped = len(keys), False
            if after is not None:
                keys = [k for k in keys if tuple(k) < after]
            ids = [k[1] for k in keys[offset : offset + limit + 1]]
            records = (
                self._fetch(
                    f"SELECT {', '.join('c.' + c for c in self.cases_plan.columns)} "
                    f"FROM case_status c WHERE c.case_id IN ({', '.join('?' * len(ids))}) "
                    "ORDER BY c.received_at DESC, c.case_id DESC",
                    ids,
                )
                if ids
                else []
            )
        else:
            total, capped, records = self._broad(where, params, after, limit, offset)
        today = self.policy.local_date(now)
        items = [self._case_item(self.cases_plan.decode(r), today) for r in records[:limit]]
        nxt = None
        if len(records) > limit:
            last = items[-1]
            nxt = _cursor(last["received_at"].isoformat(), last["case_id"])
        return Page(items, total, nxt, {"total_capped": capped})

    def _broad(
        self, where: str, params: list[Any], after: tuple[Any, Any] | None, limit: int, offset: int
    ) -> tuple[int, bool, list[tuple]]:
        """Total and page of a selection of more than FEW_SORTED cases: counted (capped), and
        the page found by walking the list order."""
        # Counting a broad selection means visiting every row of it: past COUNT_CAP the total
        # is reported as a lower bound (`Page.extra["total_capped"]`), like "10,000+".
        total = self._fetch(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM case_status c WHERE {where} "
            f"LIMIT {COUNT_CAP + 1}) capped",
            params,
        )[0][0]
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
        page_where, page_params = where, list(params)
        if after is not None:
            page_where += " AND (c.received_at < ? OR (c.received_at = ? AND c.case_id < ?))"
            page_params += [after[0], after[0], after[1]]
        # The page is chosen by id alone, then its rows are read (a "deferred join"): choosing
        # then reads the filter's index only, and just the page's rows are fetched.
        sql = (
            f"SELECT {', '.join('c.' + c for c in self.cases_plan.columns)} "
            "FROM case_status c WHERE c.case_id IN ("
            f"SELECT c.case_id FROM case_status c WHERE {page_where} "
            "ORDER BY c.received_at DESC, c.case_id DESC LIMIT ? OFFSET ?) "
            "ORDER BY c.received_at DESC, c.case_id DESC"
        )
        return total, capped, self._fetch(sql, page_params + [limit + 1, offset])

    def _case_filters(self, q: CaseQuery, now: datetime) -> tuple[str, list[Any]]:
        conds, params = ["1 = 1"], []
        rare = False  # a filter that few cases pass, whose index holds the orgs
        statuses = (q.status,) if isinstance(q.status, str) else q.status
        if statuses:
            conds.append(f"c.status IN ({', '.join('?' * len(statuses))})")
            params += list(statuses)
        orgs_at = len(conds)  # the org conditions: see the end
        value: Any  # a UUID, text or flag, by filter
        for column, value, type_ in (
            ("receiving_org_id", q.org_id, "uuid"),
            ("unit_id", q.unit_id, "uuid"),
            ("leader_id", q.leader_id, "uuid"),
            ("handler_id", q.handler_id, "text"),
            ("category", q.category, "text"),
            ("channel", q.channel, "text"),
        ):
            if value is not None:
                conds.append(f"c.{column} = ?")
                params.append(self._value(type_, value))
        for column, value, type_ in (
            ("repeat", q.repeat, "bool"),
            ("collective", q.collective, "bool"),
            ("supervision_open", q.supervised, "bool"),
            ("supervision_level", q.supervision_level, "text"),
            ("decision", q.decision, "text"),
        ):
            if value is not None:
                cond = f"c.{column} = ?"
                if self.d.name == "sqlite" and column in COMMON and value not in COMMON[column]:
                    rare = True
                    # The statistics of a two-valued column say "half the cases"; the rare
                    # value (a repeat, open oversight, a forward) is a few %: said so, SQLite
                    # walks the flag's index (which holds the orgs) rather than a subtree's.
                    cond = f"unlikely({cond})"
                conds.append(cond)
                params.append(self._value(type_, value))
        if q.overdue is not None:
            today = self._value("date", self.policy.local_date(now))
            overdue = "c.next_due_on < ?"
            if self.d.name == "sqlite" and q.overdue:
                # Overdue cases are few (a few %): said so, SQLite walks their index (which holds
                # the orgs and the order) instead of every case of an org subtree.
                overdue, rare = f"unlikely({overdue})", True
            conds.append(overdue if q.overdue else "(c.next_due_on IS NULL OR c.next_due_on >= ?)")
            params.append(today)
        if q.received_from is not None:
            conds.append("c.received_at >= ?")
            params.append(self._value("timestamp", self._day_start(q.received_from)))
        if q.received_to is not None:
            conds.append("c.received_at < ?")
            params.append(
                self._value("timestamp", self._day_start(q.received_to + timedelta(days=1)))
            )
        if q.within_org is not None:
            # The subtree is small (tens of orgs): spelled out, the planner sees real values.
            orgs = [self._value("uuid", o) for o in self.org_subtree(q.within_org)] or [None]
            marks = ", ".join("?" * len(orgs))
            # Cases forwarded to the subtree are found with `inbox_of` (a third OR branch here
            # made SQLite count a county's cases by walking every case of the status).
            cond = f"(c.receiving_org_id IN ({marks}) OR c.unit_id IN ({marks}))"
            if self.d.name == "sqlite" and rare:
                # Beside a rare filter (overdue, a repeat, a forward, ...) the way in is that
                # filter's index, which holds the orgs: reading its few thousand entries costs
                # less than fetching the row of every case of even a township, which SQLite's
                # planner prefers when it may use the org indexes ('+' keeps it from them).
                cond = f"(+c.receiving_org_id IN ({marks}) OR +c.unit_id IN ({marks}))"
            elif self.d.name == "sqlite" and len(orgs) > BROAD_SUBTREE:
                # A high org's subtree holds most cases: tell SQLite's planner the condition
                # rarely filters, so it walks the other filter's index in list order instead.
                cond = f"likely({cond})"
            conds.append(cond)
            params += orgs + orgs
        if rare and self.d.name == "sqlite":
            # ... and an org of the query is tested on that index's entries too ('+': not
            # looked up in an org index, whose every case's row SQLite would then fetch).
            for i in range(orgs_at, len(conds)):
                if conds[i] in ("c.receiving_org_id = ?", "c.unit_id = ?"):
                    conds[i] = "+" + conds[i]
        if q.inbox_of is not None:
            conds.append(
                "((c.status IN ('forwarded', 'accepted') AND c.forwarded_to_org_id = ?) "
                "OR (c.status = 'assigned' AND c.unit_id = ?))"
            )
            params += [self._value("uuid", q.inbox_of)] * 2
        if q.not_accusing_orgs or q.not_accusing_leaders:
            # The accusations against the caller are few (mostly none): looked up first, so a
            # caller no accusation names gets the plain query and its covering indexes.
            orgs = [self._value("uuid", o) for o in q.not_accusing_orgs] or [None]
            leaders = [self._value("uuid", o) for o in q.not_accusing_leaders] or [None]
            hidden = [
                r[0]
                for r in self._fetch(
                    "SELECT case_id FROM case_accused WHERE accused_org_id IN "
                    f"({', '.join('?' * len(orgs))}) OR accused_leader_id IN "
                    f"({', '.join('?' * len(leaders))})",
                    [*orgs, *leaders],
                )
            ]
            if hidden:
                conds.append(f"c.case_id NOT IN ({', '.join('?' * len(hidden))})")
                params += hidden
        return " AND ".join(conds), params

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.policy.tz)

    def _case_item(self, row: dict[str, Any], today: date) -> dict[str, Any]:
        due = row["next_due_on"]
        row["overdue"] = due is not None and due < today
        row["days_left"] = None if due is None else (due - today).days
        return row

    def case(self, case_id: UUID, now: datetime) -> dict[str, Any] | None:
        """One case with every clock evaluated at `now` (due date, days left, overdue, on time)."""
        sql = f"SELECT {', '.join(self.cases_plan.columns)} FROM case_status WHERE case_id = ?"
        records = self._fetch(sql, [self._value("uuid", case_id)])
        if not records:
            return None
        row = self._case_item(self.cases_plan.decode(records[0]), self.policy.local_date(now))
        row["clocks"] = [asdict(c) for c in case_clocks(clock_facts(row), now, self.policy)]
        stages = self._fetch(
            f"SELECT {', '.join(self.stages_plan.columns)} FROM case_stages WHERE case_id = ?",
            [self._value("uuid", case_id)],
        )
        row["stages"] = {
            s["stage"]: {k: s[k] for k in ("outcome", "served_at", "rating", "evaluated_at")}
            for s in map(self.stages_plan.decode, stages)
        }
        return row

    # --------------------------------------------------------------------- audit

    def audit(self, q: AuditQuery) -> Page:
        """Audit rows in log order, by aggregate and/or actor, event and recorded-time range
        ([since, until)); keyset paging on the position (`next` is the last position)."""
        conds = ["a.position > ?"]
        params: list[Any] = [max(0, int(q.after_position))]
        if q.aggregate_id is not None:
            conds.append("a.aggregate_id = ?")
            params.append(self._value("uuid", q.aggregate_id))
        if q.actor_id is not None:
            conds.append("a.actor_id = ?")
            params.append(q.actor_id)
        if q.within_org is not None:
            orgs = [self._value("uuid", o) for o in self.org_subtree(q.within_org)] or [None]
            marks = ", ".join("?" * len(orgs))
            conds.append(
                f"(a.aggregate_id IN (SELECT c.case_id FROM case_status c WHERE "
                f"c.receiving_org_id IN ({marks}) OR c.unit_id IN ({marks}) "
                f"OR c.forwarded_to_org_id IN ({marks})) OR a.aggregate_id IN ({marks}))"
            )
            params += orgs * 4
        if q.since is not None:
            conds.append("a.recorded_at >= ?")
            params.append(self._value("timestamp", q.since))
        if q.until is not None:
            conds.append("a.recorded_at < ?")
            params.append(self._value("timestamp", q.until))
        if q.event is not None:
            conds.append("a.event = ?")
            params.append(q.event)
        where = " AND ".join(conds)
        # The total counts the whole selection, not only what follows the cursor.
        selection = " AND ".join(conds[1:]) or "1 = 1"
        total = self._fetch(f"SELECT COUNT(*) FROM audit a WHERE {selection}", params[1:])[0][0]
        limit = clamp_limit(q.limit)
        sql = (
            f"SELECT {', '.join('a.' + c for c in self.audit_plan.columns)} FROM audit a "
            f"WHERE {where} ORDER BY a.position LIMIT ?"
        )
        records = self._fetch(sql, params + [limit + 1])
        items = [self.audit_plan.decode(r) for r in records[:limit]]
        nxt = str(items[-1]["position"]) if len(records) > limit else None
        return Page(items, total, nxt)

    # ----------------------------------------------------------------- directory

    def org_subtree(self, org_id: UUID) -> list[UUID]:
        """The org and every org below it (empty when the org is unknown)."""
        records = self._fetch(
            "SELECT descendant_id FROM org_tree WHERE ancestor_id = ? ORDER BY depth",
            [self._value("uuid", org_id)],
        )
        decode = self.d.from_db.get("uuid")
        return [decode(r[0]) if decode else r[0] for r in records]

    def case_by_code(self, code_hash: str) -> UUID | None:
        """The case a query code's digest belongs to (see `projections.query_codes`)."""
        records = self._fetch("SELECT case_id FROM query_codes WHERE code_hash = ?", [code_hash])
        decode = self.d.from_db.get("uuid")
        return (decode(records[0][0]) if decode else records[0][0]) if records else None

    def org(self, org_id: UUID) -> dict[str, Any] | None:
        records = self._fetch(
            f"SELECT {', '.join(self.orgs_plan.columns)} FROM orgs WHERE org_id = ?",
            [self._value("uuid", org_id)],
        )
        return self.orgs_plan.decode(records[0]) if records else None

    def leader(self, leader_id: UUID) -> dict[str, Any] | None:
        records = self._fetch(
            f"SELECT {', '.join(self.leaders_plan.columns)} FROM leaders WHERE leader_id = ?",
            [self._value("uuid", leader_id)],
        )
        return self.leaders_plan.decode(records[0]) if records else None
