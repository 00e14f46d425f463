"""The example analytics consumer's state: de-duplication on `ce_id` and live counts, in a small
SQLite file, so that a restarted (or replacement) consumer neither double counts nor forgets.

Counts kept (from the public payloads only: no personal data ever reaches a consumer):
- cases by received day (in the deployment's time zone), category and region — the category is
  the one given at registration, or the one decided at screening when registration had none;
- leader receptions (接访): batches (批次, visit events), person-times (人次, visitors), reception
  days and matters resolved on site, per leader;
- events by type, duplicates skipped, undecodable records skipped.

Several consumer processes of one group may share the file: each batch is one `BEGIN IMMEDIATE`
transaction, and a `ce_id` seen before (by any of them) is skipped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from caseflow.infra.kafka.envelope import Received
from caseflow.infra.sqlitefile import sqlite_connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    ce_id TEXT PRIMARY KEY, type TEXT NOT NULL, subject TEXT, position INTEGER NOT NULL,
    partition INTEGER, "offset" INTEGER, consumer TEXT, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, day TEXT NOT NULL, region TEXT NOT NULL, category TEXT,
    channel TEXT);
CREATE TABLE IF NOT EXISTS leaders (leader_id TEXT PRIMARY KEY, name TEXT, org_id TEXT);
CREATE TABLE IF NOT EXISTS receptions (
    leader_id TEXT NOT NULL, day TEXT NOT NULL, batches INTEGER NOT NULL,
    person_times INTEGER NOT NULL, resolved_on_site INTEGER NOT NULL,
    PRIMARY KEY (leader_id, day));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (partition INTEGER PRIMARY KEY, next INTEGER NOT NULL);
"""


class StateMismatch(RuntimeError):
    """The state file is behind the offsets the group committed: consuming would skip records
    whose effects it never kept (a lost or restored-from-old state file), and undercount."""


def check_state(kept: dict[int, int], committed: dict[int, int | None]) -> None:
    """Refuse (`StateMismatch`) when the group committed, for some partition, an offset past the
    next one the state file has folded in. Committed offsets behind the file are fine (a crash
    between the two commits): the records are read again and skipped as duplicates."""
    behind = {
        p: (kept.get(p, 0), c)
        for p, c in sorted(committed.items())
        if c is not None and c > kept.get(p, 0)
    }
    if behind:
        where = ", ".join(
            f"partition {p}: state at offset {k}, group committed {c}"
            for p, (k, c) in behind.items()
        )
        raise StateMismatch(
            f"the state file is behind the group's committed offsets ({where}); consuming would "
            "skip those records and undercount. Restore the state file that belongs to this "
            "group, or start the group over (a new --group, or reset its offsets to the "
            "earliest) with this state file."
        )


@dataclass(frozen=True, slots=True)
class Message:
    """One consumed record: where it came from and what it says."""

    partition: int
    offset: int
    event: Received | None  # None: the record was not a decodable CloudEvent


class AnalyticsStore:
    """De-duplicating fold of the event stream into counts (one SQLite file)."""

    def __init__(self, path: Path | str, *, timezone: str = "Asia/Shanghai", consumer: str = ""):
        self.path, self.tz, self.consumer = Path(path), ZoneInfo(timezone), consumer
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite_connect(self.path)
        self._db.executescript(SCHEMA)

    def apply(self, messages: list[Message]) -> int:
        """Fold the messages in, skipping `ce_id`s already counted; one transaction. Returns how
        many were new."""
        db, new = self._db, 0
        db.execute("BEGIN IMMEDIATE")
        try:
            seq = db.execute("SELECT coalesce(max(seq), 0) FROM seen").fetchone()[0]
            for m in messages:
                db.execute(
                    "INSERT INTO offsets VALUES (?, ?) ON CONFLICT (partition) DO UPDATE "
                    "SET next = max(next, excluded.next)",
                    (m.partition, m.offset + 1),
                )
                e = m.event
                if e is None:
                    self._count("skipped_invalid")
                    continue
                seq += 1
                inserted = db.execute(
                    "INSERT OR IGNORE INTO seen (ce_id, type, subject, position, partition, "
                    '"offset", consumer, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                    (
                        e.id,
                        e.type,
                        e.attributes.get("subject"),
                        e.position,
                        m.partition,
                        m.offset,
                        self.consumer,
                        seq,
                    ),
                ).rowcount
                if not inserted:
                    self._count("duplicates")
                    continue
                new += 1
                self._count("events")
                self._count(f"type:{e.type}")
                self._fold(e.type, e.data)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return new

    def _fold(self, ce_type: str, d: dict[str, Any]) -> None:
        db = self._db
        if ce_type == "caseflow.case.received.v1":
            day = datetime.fromisoformat(d["received_at"]).astimezone(self.tz).date()
            db.execute(
                "INSERT OR IGNORE INTO cases VALUES (?, ?, ?, ?, ?)",
                (
                    d["aggregate_id"],
                    day.isoformat(),
                    d["region"],
                    d.get("category"),
                    d.get("channel"),
                ),
            )
        elif ce_type == "caseflow.case.screened.v1" and d.get("category"):
            db.execute(
                "UPDATE cases SET category = ? WHERE case_id = ? AND category IS NULL",
                (d["category"], d["aggregate_id"]),
            )
        elif ce_type == "caseflow.case.visited.v1":
            db.execute(
                "INSERT INTO receptions VALUES (?, ?, 1, ?, ?) ON CONFLICT (leader_id, day) DO "
                "UPDATE SET batches = batches + 1, "
                "person_times = person_times + excluded.person_times, "
                "resolved_on_site = resolved_on_site + excluded.resolved_on_site",
                (
                    d["leader_id"],
                    date.fromisoformat(d["visited_on"]).isoformat(),
                    d["visitors"],
                    int(bool(d["resolved_on_site"])),
                ),
            )
        elif ce_type == "caseflow.leader.registered.v1":
            db.execute(
                "INSERT OR REPLACE INTO leaders VALUES (?, ?, ?)",
                (d["aggregate_id"], d["name"], d["org_id"]),
            )
        elif ce_type == "caseflow.leader.renamed.v1":
            db.execute(
                "UPDATE leaders SET name = ? WHERE leader_id = ?", (d["name"], d["aggregate_id"])
            )
        elif ce_type == "caseflow.leader.moved.v1":
            db.execute(
                "UPDATE leaders SET org_id = ? WHERE leader_id = ?",
                (d["to_org_id"], d["aggregate_id"]),
            )

    def _count(self, name: str, n: int = 1) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
            "n = n + excluded.n",
            (name, n),
        )

    # ------------------------------------------------------------------- reading

    def next_offsets(self) -> dict[int, int]:
        """Per partition, the offset after the last record folded in (state files written
        before offsets were kept: from the records seen)."""
        kept = dict(self._db.execute("SELECT partition, next FROM offsets"))
        if not kept:
            kept = dict(
                self._db.execute(
                    'SELECT partition, max("offset") + 1 FROM seen '
                    "WHERE partition IS NOT NULL GROUP BY partition"
                )
            )
        return kept

    def counters(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, n FROM counters ORDER BY name"))

    def summary(self) -> dict[str, Any]:
        """Everything the consumer knows, as a JSON-ready dict (what `--output` writes)."""
        db, counters = self._db, self.counters()
        cases = _dicts(
            db.execute(
                "SELECT day, coalesce(category, 'uncategorised') AS category, region, "
                "count(*) AS cases FROM cases GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        )
        leaders = _dicts(
            db.execute(
                "SELECT r.leader_id, l.name, sum(batches) AS batches, "
                "sum(person_times) AS person_times, count(*) AS reception_days, "
                "sum(resolved_on_site) AS resolved_on_site "
                "FROM receptions r LEFT JOIN leaders l USING (leader_id) "
                "GROUP BY r.leader_id ORDER BY sum(person_times) DESC, r.leader_id"
            )
        )
        return {
            "events": counters.get("events", 0),
            "duplicates_skipped": counters.get("duplicates", 0),
            "invalid_skipped": counters.get("skipped_invalid", 0),
            "by_type": {k[5:]: v for k, v in counters.items() if k.startswith("type:")},
            "cases_by_day": cases,
            "leader_receptions": leaders,
        }

    def seen(self) -> list[tuple[str, str, int, int, str]]:
        """(ce_id, subject, position, partition, consumer) in processing order (for checks)."""
        return list(
            self._db.execute(
                "SELECT ce_id, subject, position, partition, consumer FROM seen ORDER BY seq"
            )
        )

    def close(self) -> None:
        self._db.close()


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
