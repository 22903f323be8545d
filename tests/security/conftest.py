"""The security tests use the service tests' fake GitHub, configuration, queue and App key."""

from tests.service.conftest import (  # noqa: F401
    app_config,
    client,
    clock,
    config,
    fake_github,
    private_key,
    queue,
)
