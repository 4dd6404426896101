import pytest

from notebook_guard.domain.models import Action
from notebook_guard.settings import Settings, SettingsError


def test_defaults_are_safe():
    settings = Settings.from_environ({})
    assert settings.event_action is Action.REMEDIATE
    assert settings.sweep_action is Action.NOTIFY
    assert settings.policy.require_root_access_disabled
    assert "sagemaker.api" in settings.required_endpoints
    assert settings.internet_dependency == "block" and settings.ip_address_type_fallback == "none"


def test_lists_are_comma_separated():
    settings = Settings.from_environ({"NG_APPROVED_SUBNET_IDS": "subnet-1, subnet-2,", "NG_ROOT_ACCESS": "allowed"})
    assert settings.approved_subnet_ids == ("subnet-1", "subnet-2")
    assert not settings.policy.require_root_access_disabled


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NG_EVENT_ACTION", "destroy"),
        ("NG_SWEEP_ACTION", "REMEDIATE!"),
        ("NG_APPROVED_SUBNET_IDS", "vpc-123"),
        ("NG_TARGET_SECURITY_GROUP_IDS", "subnet-1"),
        ("NG_SWEEP_CONCURRENCY", "0"),
        ("NG_ROOT_ACCESS", "maybe"),
        ("NG_INTERNET_DEPENDENCY", "allow"),
        ("NG_IP_ADDRESS_TYPE_FALLBACK", "ipv6"),
        ("NG_ALERT_TOPIC_ARN", "my-topic"),
        ("NG_STATE_MACHINE_ARN", "arn:aws:sns:us-east-1:123456789012:x"),
    ],
)
def test_invalid_values_name_the_variable(variable, value):
    with pytest.raises(SettingsError) as error:
        Settings.from_environ({variable: value})
    assert variable in str(error.value) and value.split(",")[0] in str(error.value)
