import pytest
from pydantic import ValidationError

from caseflow.infra.settings import Settings


def test_an_unknown_time_zone_is_refused_at_start_up():
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Base'"):
        Settings(timezone="Mars/Base")


def test_the_policy_counts_in_the_configured_zone_and_limits():
    policy = Settings(timezone="Asia/Urumqi", screening_days=10).policy()
    assert (policy.timezone, policy.screening_days, policy.handling_days) == ("Asia/Urumqi", 10, 60)


@pytest.mark.parametrize("algorithms", ["HS256", "RS256,HS512", "none", ""])
def test_only_asymmetric_jwt_algorithms_are_accepted(algorithms):
    with pytest.raises(ValidationError, match="CASEFLOW_OIDC_ALGORITHMS"):
        Settings(oidc_algorithms=algorithms)


@pytest.mark.parametrize(
    "over, named",
    [
        ({}, "CASEFLOW_OIDC_AUDIENCE"),
        ({"oidc_audience": "caseflow"}, "CASEFLOW_OIDC_JWKS_URL"),
        ({"oidc_audience": "caseflow", "oidc_jwks_url": "file:///etc/keys"}, "http"),
    ],
)
def test_an_incomplete_identity_provider_setting_is_refused_naming_what_is_missing(over, named):
    with pytest.raises(ValidationError, match=named):
        Settings(oidc_issuer="https://idp.test", **over)


def test_a_missing_jwks_file_is_a_clear_error(tmp_path):
    from caseflow.infra.auth import TokenConfigError
    from caseflow.infra.oidc import load_verifier

    settings = Settings(
        oidc_issuer="https://idp.test",
        oidc_audience="caseflow",
        oidc_jwks_file=tmp_path / "absent.json",
    )
    with pytest.raises(TokenConfigError, match="CASEFLOW_OIDC_JWKS_FILE"):
        load_verifier(settings)
