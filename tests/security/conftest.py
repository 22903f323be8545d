"""The security tests use the service tests' fake GitHub, configuration, queue and App key."""

from tests.service.conftest import client, clock, config, fake_github, queue  # noqa: F401
from tests.service.test_github_app import app_config, private_key  # noqa: F401
