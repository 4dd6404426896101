"""What keeps the local tools (tests, demo, bench) away from real AWS: the variables that name a real identity
or send clients elsewhere. Each tool removes them (or refuses to start) and sets fake credentials instead."""

from __future__ import annotations

FAKE_ACCESS_KEY = "testing"

REAL_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_ENDPOINT_URL",
)
