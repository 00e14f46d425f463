"""A rebuild split by case: several workers fill one new generation at once, each folding the
events of its own share of the cases, so each decodes and folds only its share of the log.

Cases are split into `shares` by their ids (`source.share_of`; the directory's events all go to
share 0). Each projection's empty shadow generation gets a `SharePlan`: the number of shares and
a target position (the head of the log when the run began). Each worker follows its share of the
log up to the target into the generation's tables (the one follower, `rebuild.follow`, with each
shadow as a `Window` over that share) and commits its own position as it goes. Rows that belong
to one case (or one directory entry) have one writer; counters are added, and sums merge by
themselves (written in key order, so the workers cannot deadlock); what spans cases is left to
the projection's `merge` (reception days, repeat petitions: see `Projection.split`). Once every
share has reached the target, `merge` runs in the one transaction that sets the generation at the
target; from there the ordinary rebuild carries it on in log order to the head and switches it.

Killed anywhere, the next run resumes: each share from its own position, a merge not yet done is
done, a merged generation goes on from the target. A run keeps the plan it finds (its shares and
target); only an empty shadow is split, so a shadow begun by an ordinary rebuild resumes as one.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from caseflow.projections.base import PositionMoved, Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.rebuild import (
    Progress,
    RebuildResult,
    Window,
    follow,
    lock_all,
    rebuild,
    resumable,
    young_gc_only,
)
from caseflow.projections.source import EventSource, ShareOf
from caseflow.projections.store import Cursor, Lock, SharePlan, ViewStore

# Folds every share of these projections (names) split in `shares`: in processes, or in turn.
FoldAll = Callable[[list[str], int], RebuildResult]


def rebuild_by_case(
    projections: list[Projection],
    store: ViewStore,
    source: EventSource,
    shares: int,
    fold_all: FoldAll | None = None,
    *,
    batch_size: int = 5000,
    commit_every: int | None = None,
    max_rows: int = 50_000,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    locks: list[Lock] | None = None,
) -> RebuildResult:
    """Rebuild `projections` split into `shares` by case, and switch each. `fold_all` folds the
    shares (the default: one after another, in this thread); then the shares are merged and
    the ordinary rebuild takes each generation from the target to the head."""
    held = locks if locks is not None else lock_all(projections, store)
    handed_on, started = False, time.monotonic()
    try:
        todo, skipped = resumable(projections, store)
        by_name = {p.name: p for p in todo}

        def in_turn(names: list[str], n: int) -> RebuildResult:
            out = RebuildResult()
            for k in range(n):
                part = fold_share(
                    [by_name[name] for name in names],
                    store,
                    source,
                    k,
                    batch_size=batch_size,
                    commit_every=commit_every,
                    max_rows=max_rows,
                    progress=progress,
                    stop=stop,
                )
                _add(out, part)
            return out

        result = RebuildResult(skipped=skipped)
        for (n, _target), members in plan(todo, store, source, shares).items():
            _add(result, (fold_all or in_turn)([p.name for p in members], n))
        if result.interrupted:
            result.seconds = time.monotonic() - started
            return result
        merge([p for p in todo if p.name not in result.failed], store, source, shares)
        # Only what is merged (or was never split) goes on: a share left short of the target
        # (its process died after the others had finished) keeps its plan for the next run.
        going_on = [p for p in todo if p.name not in result.failed and not is_split(p, store)]
        handed_on = True
        rest = rebuild(
            going_on,
            store,
            source,
            batch_size=batch_size,
            commit_every=commit_every,
            max_rows=max_rows,
            progress=progress,
            stop=stop,
            locks=held,
        )
        rest.events += result.events
        rest.failed.update(result.failed)
        rest.skipped, rest.seconds = skipped, time.monotonic() - started
        return rest
    finally:
        if not handed_on:
            for lock in held:
                lock.release()


def plan(
    projections: list[Projection], store: ViewStore, source: EventSource, shares: int
) -> dict[tuple[int, int], list[Projection]]:
    """Split each shadow that can be (an empty one, or one split already), all to one target:
    the plan found (a resumed run) or the head now. The projections to fold, by (shares,
    target)."""
    cursors = {p.name: store.begin_rebuild(p) for p in projections}
    found = {p.name: store.share_plan(p.name, cursors[p.name].generation) for p in projections}
    earlier = next((f for f in found.values() if f is not None), None)
    target = earlier.target if earlier is not None else source.head()
    n = earlier.shares if earlier is not None else shares
    out: dict[tuple[int, int], list[Projection]] = {}
    for p in projections:
        cursor, split = cursors[p.name], found[p.name]
        if split is None and cursor.position == 0:
            split = store.plan_shares(p, cursor.generation, n, target)
        if split is not None and not split.folded:
            out.setdefault((split.shares, split.target), []).append(p)
    return out


def fold_share(
    projections: list[Projection],
    store: ViewStore,
    source: EventSource,
    share: int,
    *,
    batch_size: int = 5000,
    commit_every: int | None = None,
    max_rows: int = 50_000,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> RebuildResult:
    """Fold one share of these projections' split shadows up to their target (one worker)."""
    windows, target, shares = [], 0, 1
    for p in projections:
        building, split = _split_of(p, store)
        if building is None or split is None or split.positions[share] >= split.target:
            continue  # merged, or this share is done
        target, shares = split.target, split.shares
        folder = copy.copy(p)  # its own copy: the live views keep folding whole
        folder.split = True
        consumer = ProjectionConsumer(folder, store, building.generation, share)
        windows.append(Window(consumer, store, commit_every or 200_000, max_rows))
    result = RebuildResult()
    if not windows:
        return result

    def reached(window: Window) -> bool:
        try:
            window.stand_at(target)
        except PositionMoved:
            return False
        return True

    make = getattr(source, "share", None)
    mine = make(share, shares, target) if make else ShareOf(source, share, shares, target)
    with young_gc_only(), store.bulk():
        return follow(windows, mine, batch_size, progress, stop, reached, result)


def merge(
    projections: list[Projection], store: ViewStore, source: EventSource, workers: int = 1
) -> None:
    """Merge each projection whose shares are all folded (the rest are left as they are), then
    build the merged generations' indexes, `workers` at a time (the server builds each in a
    backend of its own: one after another they would be the run's longest serial part)."""
    merged = []
    recorded: dict[int, datetime | None] = {}  # target → the recorded time of its event
    for p in projections:
        building, split = _split_of(p, store)
        if building is None or split is None or not split.folded:
            continue
        if split.target not in recorded:
            at = source.read(split.target - 1, 1) if split.target else []
            hit = at and at[0].position == split.target
            recorded[split.target] = at[0].recorded_at if hit else None
        recorded_at = recorded[split.target]
        with store.merge_shares(p, building.generation) as rows:
            p.merge(rows)
            rows.advance(split.target, recorded_at)
        merged.append((p, building.generation))
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="indexes") as pool:
        for done in [pool.submit(store.build_indexes, p, g) for p, g in merged]:
            done.result()


def is_split(projection: Projection, store: ViewStore) -> bool:
    """Is the projection's shadow still split (not merged: some share short of the target)?"""
    return _split_of(projection, store)[1] is not None


def _split_of(projection: Projection, store: ViewStore) -> tuple[Cursor | None, SharePlan | None]:
    """The projection's shadow (None: no rebuild) and its split (None: not split, or merged)."""
    building = store.record(projection.name).building
    if building is None:
        return None, None
    return building, store.share_plan(projection.name, building.generation)


def _add(total: RebuildResult, part: RebuildResult) -> None:
    total.events += part.events
    total.failed.update(part.failed)
    total.interrupted |= part.interrupted
