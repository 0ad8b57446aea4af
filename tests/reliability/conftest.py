"""Fixtures shared with the security tests (logged-in clients)."""

from tests.security.conftest import client_for  # noqa: F401
