"""Every period key the query parser accepts is answered or refused with 422, never a 5xx."""

from __future__ import annotations

import pytest

EDGES = [
    "9999",
    "9999-W52",
    "9999-12",
    "9999-Q4",
    "9999-H2",
    "0000",
    "0001-W01",
    "0001-01",
    "2999-12",
    "1900-W01",
]


@pytest.mark.parametrize("period", EDGES)
def test_every_accepted_period_key_is_answered_or_422(views_client, http_container, world, period):
    h = world.h("supervisor")
    head = http_container.app.recorder.max_notification_id()
    for path in ("/statistics/leaders", f"/leaders/{world.leader}/statistics", "/statistics/kpis"):
        r = views_client.get(path, params={"period": period, "min_position": head}, headers=h)
        assert r.status_code in (200, 422), (path, r.status_code, r.text)
        if r.status_code == 422:
            assert r.json()["errors"][0]["field"] == "query.period"
