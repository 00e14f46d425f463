import pytest
from pydantic import ValidationError

from caseflow.infra.settings import Settings


def test_an_unknown_time_zone_is_refused_at_start_up():
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Base'"):
        Settings(timezone="Mars/Base")


def test_the_policy_counts_in_the_configured_zone_and_limits():
    policy = Settings(timezone="Asia/Urumqi", screening_days=10).policy()
    assert (policy.timezone, policy.screening_days, policy.handling_days) == ("Asia/Urumqi", 10, 60)
