"""Test configuration: which database, which services, and the rule that a missing service
skips with a reason on a laptop but fails in CI."""

from __future__ import annotations

import os
import socket

import pytest
from django.conf import settings


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (outside CI) or fail (in CI) when a service the test needs is not running."""
    if service_up(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run every test", pytrace=False)
    pytest.skip(f"{message}; start it to run this test")


def pytest_configure(config: pytest.Config) -> None:
    settings.TESTING = True
    # Real hashing costs ~0.3 s a user; tests create several per class and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests sign many times from one address within a second; screening has its own tests.
    settings.RATE_LIMITS = False
    settings.MIN_FILL_SECONDS = 0


def pytest_report_header(config: pytest.Config) -> str:
    db = settings.DATABASES["default"]
    return f"undersigned database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}"


@pytest.fixture(autouse=True)
def _fresh_copies() -> None:
    """Each test starts without the finished answers an earlier test left in this process
    (undersigned.lib.microcache), as it starts with an empty database."""
    from undersigned.lib import microcache

    microcache.clear()
