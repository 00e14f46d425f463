"""The demo seed: realistic, lawful, obviously synthetic, deterministic, driven through the
service layer (so every event passed the rules; the rules oracle re-checks each case anyway).

The content checks share one seeded SQLite store per module (seeding is the slow part); that the
seed runs on each backend is checked with fewer cases through the `container` fixture."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from caseflow.demo.seed import seed, seed_if_empty
from caseflow.domain.case import Case
from caseflow.domain.values import Category, Channel, Decision, OrgLevel, VisitMode
from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.cli import build
from caseflow.infra.privacy.wiring import open_payload
from caseflow.infra.settings import Settings
from caseflow.infra.sqlite_tuning import set_synchronous
from caseflow.projections.source import LoggedEvent
from tests.backends import FrozenClock
from tests.unit.domain.rules_oracle import check_history

CASES, SEED = 240, 11


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[tuple[Container, list[LoggedEvent]]]:
    container = bootstrap(Settings(data_dir=tmp_path_factory.mktemp("seeded")), clock=FrozenClock())
    set_synchronous(container.app.recorder, "OFF")  # a test store need not survive power loss
    try:
        seed(container.app, cases=CASES, seed=SEED)
        yield container, container.log.read(0, 100_000)
    finally:
        container.close()


def test_the_seed_runs_on_every_backend_within_the_rules(container: Container) -> None:
    summary = seed(container.app, cases=30, seed=SEED)
    events = container.log.read(0, 10_000)
    assert summary.events == len(events) and summary.cases == 30
    for case_id in {e.aggregate_id for e in named(events, "case.received")}:
        history = container.app.history(case_id)
        assert (
            check_history(history, container.app.policy) is container.app.get(Case, case_id).status
        )


def named(events: list[LoggedEvent], name: str) -> list[LoggedEvent]:
    return [e for e in events if e.name == name]


def test_every_case_history_obeys_the_rules(seeded) -> None:
    container, events = seeded
    cases = {e.aggregate_id for e in named(events, "case.received")}
    assert len(cases) == CASES
    policy = container.app.policy
    for case_id in cases:
        history = container.app.history(case_id)
        assert check_history(history, policy) is container.app.get(Case, case_id).status


def _opened(container, e) -> dict:
    """The event's data with its sealed personal fields opened (docs/privacy.md)."""
    return open_payload(container.sealer, e.aggregate_id, e.version, e.name, e.data)


def test_the_org_tree_has_three_levels_below_the_province_and_leaders_at_each(seeded) -> None:
    _, events = seeded
    levels = Counter(e.data["level"] for e in named(events, "org.registered"))
    assert levels[OrgLevel.PROVINCE] == 1
    assert levels[OrgLevel.CITY] >= 3 and levels[OrgLevel.COUNTY] >= 9
    assert levels[OrgLevel.TOWNSHIP] >= 18
    assert {e.data["level"] for e in named(events, "leader.registered")} == set(levels)


def test_every_channel_category_decision_and_visit_mode_occurs(seeded) -> None:
    _, events = seeded
    received = named(events, "case.received")
    assert {e.data["channel"] for e in received} == set(Channel)
    assert {e.data["category"] for e in named(events, "case.screened")} >= set(Category)
    assert {e.data["decision"] for e in named(events, "case.screened")} == set(Decision)
    assert {e.data["mode"] for e in named(events, "case.visited")} == set(VisitMode)


def test_collective_petitions_choose_at_most_five_representatives(seeded) -> None:
    container, events = seeded
    collective = [e for e in named(events, "case.received") if e.data["headcount"] >= 5]
    assert len(collective) >= 5
    assert all(1 <= len(_opened(container, e)["representatives"]) <= 5 for e in collective)


def test_the_hard_paths_all_occur(seeded) -> None:
    _, events = seeded
    counts = Counter(e.name for e in events)
    for name in (
        "case.extended",
        "case.review_requested",
        "case.reviewed",
        "case.recheck_requested",
        "case.rechecked",
        "case.supervised",
        "case.closed",
        "case.evaluated",
    ):
        assert counts[name] >= 1, name
    repeats = [e for e in named(events, "case.received") if e.data["prior_case_id"]]
    assert len(repeats) >= 5
    assert any(e.data["repeat_of_final"] for e in named(events, "case.screened"))


def test_some_cases_were_screened_late_and_some_are_open_and_overdue(seeded) -> None:
    container, events = seeded
    app, now = container.app, container.app.clock()
    late = overdue = 0
    for case_id in {e.aggregate_id for e in named(events, "case.received")}:
        clocks = app.get(Case, case_id).clocks(now, app.policy)
        late += any(c.on_time is False for c in clocks)
        overdue += any(c.overdue and c.owner == "office" for c in clocks)
    assert late >= 3 and overdue >= 3


def test_reception_batches_and_person_times_keep_a_realistic_proportion(seeded) -> None:
    _, events = seeded
    visits = named(events, "case.visited")
    person_times = sum(e.data["visitors"] for e in visits)
    assert 1.0 < person_times / len(visits) < 2.0  # 18,054 / 16,211 = 1.11 in one province
    per_day = Counter((e.data["leader_id"], e.data["visited_on"]) for e in visits)
    assert max(per_day.values()) >= 3  # a reception or down-visit day receives many batches


def test_personal_data_is_obviously_synthetic(seeded) -> None:
    container, events = seeded
    for e in named(events, "case.received"):
        for person in _opened(container, e)["petitioners"]:
            assert person.name.startswith("测试-")
            assert person.id_number.startswith("000000") and "TEST" in person.id_number
            assert person.phone.startswith("100-")
            assert person.address.startswith("测试")


def test_business_times_lie_in_the_past_months(seeded) -> None:
    container, events = seeded
    now = container.app.clock()
    cases = [e for e in events if e.name.startswith("case.")]
    assert all(e.occurred_at <= now for e in cases)
    earliest = min(e.occurred_at for e in cases)
    assert now - timedelta(days=8 * 31) <= earliest <= now - timedelta(days=200)


def test_each_step_names_the_step_that_caused_it(seeded) -> None:
    _, events = seeded
    by_case = defaultdict(list)
    for e in events:
        if e.name.startswith("case."):
            by_case[e.aggregate_id].append(e.meta)
    for metas in by_case.values():
        assert metas[0].causation_id is None
        assert [m.causation_id for m in metas[1:]] == [m.correlation_id for m in metas[:-1]]


def test_the_same_seed_gives_the_same_petitions(tmp_path, clock: FrozenClock) -> None:
    def run(path) -> list[tuple]:
        c = bootstrap(Settings(data_dir=path), clock=clock)
        set_synchronous(c.app.recorder, "OFF")
        try:
            seed(c.app, cases=40, seed=5)
            # (sealed personal fields compared opened: each store has its own random keys)
            return [
                (e.aggregate_id, e.version, e.name, _opened(c, e), e.meta)
                for e in c.log.read(0, 10_000)
            ]
        finally:
            c.close()

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second and len(first) > 200


def test_another_seed_gives_other_petitions(tmp_path, clock: FrozenClock) -> None:
    def subjects(path, s: int) -> list[str]:
        c = bootstrap(Settings(data_dir=path), clock=clock)
        set_synchronous(c.app.recorder, "OFF")
        try:
            seed(c.app, cases=30, seed=s)
            return [e.data["subject"] for e in named(c.log.read(0, 10_000), "case.received")]
        finally:
            c.close()

    assert subjects(tmp_path / "a", 1) != subjects(tmp_path / "b", 2)


def test_seeding_twice_with_the_same_seed_is_refused_and_adds_nothing(container) -> None:
    seed(container.app, cases=5, seed=3)
    head = container.log.head()
    with pytest.raises(ValueError, match="seeded with seed 3 already"):
        seed(container.app, cases=5, seed=3)
    assert container.log.head() == head


def test_seed_if_empty_seeds_an_empty_store_only(container) -> None:
    assert seed_if_empty(container, cases=5) is not None
    head = container.log.head()
    assert seed_if_empty(container, cases=5) is None
    assert container.log.head() == head


def test_progress_counts_up_to_the_total(container) -> None:
    seen: list[tuple[int, int]] = []
    seed(container.app, cases=60, seed=4, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (60, 60) and len(seen) >= 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_the_demo_seed_command_seeds_the_configured_store(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CASEFLOW_DATABASE_URL", raising=False)
    result = CliRunner().invoke(build(), ["demo", "seed", "--cases", "12", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "seeded 12 cases" in result.output
    c = bootstrap(Settings(data_dir=tmp_path / "var"))
    try:
        assert len(named(c.log.read(0, 10_000), "case.received")) == 12
    finally:
        c.close()


def test_the_demo_seed_command_refuses_a_repeated_seed(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CASEFLOW_DATABASE_URL", raising=False)
    CliRunner().invoke(build(), ["demo", "seed", "--cases", "3", "--seed", "9"])
    result = CliRunner().invoke(build(), ["demo", "seed", "--cases", "3", "--seed", "9"])
    assert result.exit_code == 2
    assert "already" in result.output
