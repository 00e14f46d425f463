"""Walk the log and its chain and name every break: altered, deleted, inserted, moved (swapped or
renumbered) events, a truncated tail and a chain rewritten after tampering (the signed
checkpoints disagree with it). Pure: it reads windows of raw rows and knows no SQL."""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from uuid import UUID

from caseflow.infra.integrity.chain import (
    EMPTY,
    FRAME_STATE_LEN,
    Link,
    Record,
    as_record,
    link_hash,
)
from caseflow.infra.integrity.checkpoints import Checkpoint

_UUID_FRAME = struct.Struct(">QH16sq")  # FRAME_HEAD, a 16-byte id, the version of FRAME_MIDDLE
_TOPIC_LEN = struct.Struct(">I")  # the rest of FRAME_MIDDLE
RECENT = 4096  # chained positions remembered, to place an inserted link
PAIRING = 1000  # unexplained breaks kept to pair up moved events; later ones are just reported
MAX_FINDINGS = 10_000
ALTERED = (
    "the stored event differs from what was chained (or the event before it was "
    "replaced together with its link)"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # altered, deleted, inserted, moved, truncated, rewritten, checkpoint
    position: int
    detail: str
    aggregate_id: str | None = None
    version: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    start: int = 0
    head: int = 0
    events: int = 0
    links: int = 0
    checkpoints_checked: int = 0
    last_checkpoint: int | None = None
    last_checkpoint_ok: int = 0
    findings: list[Finding] = field(default_factory=list)
    more_findings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    def add(self, f: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(f)
        else:
            self.more_findings += 1


def _ident(r: Record) -> dict:
    try:
        aggregate = str(UUID(str(r.aggregate_id)))
    except ValueError:
        aggregate = str(r.aggregate_id)
    return {"aggregate_id": aggregate, "version": r.version}


@dataclass
class _Break:
    position: int
    prev: bytes | None  # the hash the link at `position` follows (None: unknown)
    link: Link | None
    record: Record | None


class Verifier:
    """Feed it windows in position order (`feed`), then `finish`."""

    def __init__(self, checkpoints: Iterable[Checkpoint], start: Link = EMPTY):
        self.report = Report(start=start.position, head=start.position)
        self.prev = start
        self.recent: deque[tuple[int, bytes]] = deque(
            [(start.position, start.chainhash)], maxlen=RECENT
        )
        self.checkpoints = sorted(checkpoints, key=lambda c: c.position)
        self._cp = 0
        self._skip_checkpoints_to(start.position)
        self.altered: list[_Break] = []  # a link whose event no longer matches it
        self.orphans: list[_Break] = []  # a link without its event
        self.unchained: list[_Break] = []  # an event without a link

    def _skip_checkpoints_to(self, position: int) -> None:
        """Starting from a checkpoint at `position` (0: the start), the ones up to it are
        behind the walk (`_walk` checks the starting one's link itself)."""
        while (
            position
            and self._cp < len(self.checkpoints)
            and self.checkpoints[self._cp].position <= position
        ):
            self._cp += 1

    def feed(self, rows: list[tuple], orphans: list[tuple]) -> None:
        """One window of `ChainStore.windows`, in position order."""
        self.report.events += len(rows)
        self.report.links += len(orphans) + sum(1 for r in rows if r[6] is not None)
        if orphans:  # links without their event: merge the two by position, row by row
            by_pos = {r[0]: as_record(r) for r in rows}
            link_at = {r[0]: Link(r[0], r[5], bytes(r[6])) for r in rows if r[6] is not None}
            link_at.update((o[0], Link(o[0], o[1], bytes(o[2]))) for o in orphans)
            for p in sorted(by_pos.keys() | link_at.keys()):
                self._slow(p, by_pos.get(p), link_at.get(p))
            return
        i = 0
        while i < len(rows):  # fast over intact runs; a checkpoint or a break, one row slowly
            i = self._fast(rows, i)
            if i < len(rows):
                r = rows[i]
                self._slow(
                    r[0], as_record(r), None if r[6] is None else Link(r[0], r[5], bytes(r[6]))
                )
                i += 1

    def _slow(self, p: int, ev: Record | None, ln: Link | None) -> None:
        self._check_checkpoints_before(p)
        self._one(p, ev, ln)
        self.report.head = p

    def _fast(self, rows: list[tuple], start: int = 0) -> int:
        """Walk the rows from `start` while every event has its link and every link holds;
        the index of the first row it did not take.
        `link_hash` inlined: this loop is most of what verifying costs (bench/verify.py)."""
        prev_position, prev = self.prev.position, self.prev.chainhash
        cp_at = self.checkpoints[self._cp].position if self._cp < len(self.checkpoints) else -1
        sha256, fromhex, join = hashlib.sha256, bytes.fromhex, b"".join
        # position, id length (16), the UUID's bytes, version: one pack; the topic's framing
        # (length, UTF-8) is the same for every event of a type.
        fixed, state_len = _UUID_FRAME.pack, FRAME_STATE_LEN.pack
        topics: dict[str, bytes] = {}
        n = start
        try:
            for p, oid, version, topic, state, lprev, h in itertools.islice(rows, start, None):
                if lprev != prev_position or p >= cp_at >= 0:
                    break
                t = topics.get(topic)
                if t is None:
                    encoded = topic.encode()
                    t = topics[topic] = _TOPIC_LEN.pack(len(encoded)) + encoded
                ob = oid.bytes if type(oid) is UUID else fromhex(oid)
                if len(ob) != 16:  # `16s` would pad or cut it: such a row takes the slow path
                    break
                framed = fixed(p, 16, ob, version)
                if sha256(join((prev, framed, t, state_len(len(state)), state))).digest() != h:
                    break
                prev_position, prev = p, h
                n += 1
        except (ValueError, TypeError, AttributeError, struct.error):  # damaged: the slow path
            pass
        if n > start:
            self.recent.extend((r[0], bytes(r[6])) for r in rows[max(start, n - RECENT) : n])
            self.prev = Link(prev_position, rows[n - 1][5], bytes(prev))
            self.report.head = prev_position
        return n

    def _one(self, p: int, ev: Record | None, ln: Link | None) -> None:
        if ln is None:
            self._keep(
                self.unchained, _Break(p, None, None, ev), "inserted", "event not in the chain"
            )
            return
        prev = self._follow(p, ln)
        if ev is None:
            self._keep(
                self.orphans,
                _Break(p, prev, ln, None),
                "deleted",
                "the chain has a link here but the event is gone",
            )
        elif (
            prev is not None
            and link_hash(prev, p, ev.aggregate_id, ev.version, ev.topic, ev.state) != ln.chainhash
        ):
            self._keep(self.altered, _Break(p, prev, ln, ev), "altered", ALTERED)
        self.prev = ln
        self.recent.append((p, ln.chainhash))
        self._check_checkpoint_at(p, ln)

    def _follow(self, p: int, ln: Link) -> bytes | None:
        """The hash the link at `p` follows; a break when it does not follow the last link."""
        if ln.prev_position == self.prev.position:
            return self.prev.chainhash
        known = dict(self.recent)
        if ln.prev_position in known:  # links we accepted since were not in the chain
            for q, h in list(self.recent):
                if q > ln.prev_position:
                    self.report.add(
                        Finding(
                            "inserted",
                            q,
                            f"link at {q} forged: the chain goes from {ln.prev_position} to {p}",
                        )
                    )
                    self.recent.remove((q, h))
            return known[ln.prev_position]
        if ln.prev_position > self.prev.position:
            self.report.add(
                Finding(
                    "deleted", ln.prev_position, f"event and link gone (the link at {p} follows it)"
                )
            )
        else:
            self.report.add(
                Finding(
                    "inserted",
                    p,
                    f"link at {p} follows position {ln.prev_position}, not {self.prev.position}",
                )
            )
        return None

    def _keep(self, into: list[_Break], b: _Break, kind: str, detail: str) -> None:
        if len(into) < PAIRING:
            into.append(b)
        else:
            self._report(b, kind, detail)

    def _report(self, b: _Break, kind: str, detail: str) -> None:
        r = b.record
        self.report.add(Finding(kind, b.position, detail, **(_ident(r) if r else {})))

    # ---------------------------------------------------------------- checkpoints

    def _check_checkpoints_before(self, p: int) -> None:
        while self._cp < len(self.checkpoints) and self.checkpoints[self._cp].position < p:
            cp = self.checkpoints[self._cp]
            self.report.add(
                Finding(
                    "deleted", cp.position, "a signed checkpoint covers this position; it is gone"
                )
            )
            self._cp += 1

    def _check_checkpoint_at(self, p: int, ln: Link) -> None:
        if self._cp < len(self.checkpoints) and self.checkpoints[self._cp].position == p:
            cp = self.checkpoints[self._cp]
            self._cp += 1
            self.report.checkpoints_checked += 1
            self.report.last_checkpoint = p
            if cp.chainhash != ln.chainhash:
                since = max(self.report.last_checkpoint_ok, self.report.start)
                self.report.add(
                    Finding(
                        "rewritten",
                        p,
                        f"signed checkpoint of {cp.time} says "
                        f"{cp.chainhash.hex()}, the chain has {ln.chainhash.hex()}: the chain was "
                        f"recomputed after a change after position {since}",
                    )
                )
            else:
                self.report.last_checkpoint_ok = p

    # ---------------------------------------------------------------- the end

    def finish(self) -> Report:
        """Pair up moved events, report what is left and a truncated tail."""
        for cp in self.checkpoints[self._cp :]:
            self.report.add(
                Finding(
                    "truncated",
                    cp.position,
                    f"a signed checkpoint covers up to {cp.position}; "
                    f"the log ends at {self.report.head}",
                )
            )
        self._pair_moves()
        for kind, items, detail in (
            ("altered", self.altered, ALTERED),
            ("deleted", self.orphans, "the chain has a link here but the event is gone"),
            ("inserted", self.unchained, "event not in the chain"),
        ):
            for b in items:
                self._report(b, kind, detail)
        self.report.findings.sort(key=lambda f: (f.position, f.kind))
        return self.report

    def _pair_moves(self) -> None:
        """An event found at one break that hashes into another break's link was moved."""
        slots = [b for b in self.altered + self.orphans if b.prev is not None]
        movers = self.altered + self.unchained
        placed: set[int] = set()
        moved: list[tuple[_Break, _Break]] = []
        for m in movers:
            r = m.record
            for s in slots:
                if (
                    s.prev is not None
                    and s.position != m.position
                    and s.position not in placed
                    and s.link
                    and r
                    and link_hash(s.prev, s.position, r.aggregate_id, r.version, r.topic, r.state)
                    == s.link.chainhash
                ):
                    moved.append((m, s))
                    placed.add(s.position)
                    break
        explained: set[int] = set()
        for m, s in moved:
            ident = _ident(m.record)  # type: ignore[arg-type]  # a moved row has its record
            self.report.add(
                Finding("moved", m.position, f"written at position {s.position}", **ident)
            )
            explained.update((id(m), id(s)))
        self.altered = [b for b in self.altered if id(b) not in explained]
        self.orphans = [b for b in self.orphans if id(b) not in explained]
        self.unchained = [b for b in self.unchained if id(b) not in explained]


def verify(
    windows: Iterable[tuple[list[tuple], list[tuple]]],
    checkpoints: list[Checkpoint],
    start: Link = EMPTY,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Walk `windows` (from `ChainStore.windows`) against `checkpoints` (signatures checked)."""
    v = Verifier(checkpoints, start)
    for rows, orphans in windows:
        v.feed(rows, orphans)
        if progress is not None:
            progress(v.report.head)
    return v.finish()
