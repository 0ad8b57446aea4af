"""A real sandbox server on a free loopback port for each test that asks for it."""

import pytest

from kmcs_site.sandbox import core
from kmcs_site.sandbox.server import SandboxServer


@pytest.fixture
def sandbox():
    core.reset()
    server = SandboxServer("127.0.0.1", 0).start()
    try:
        yield server
    finally:
        server.stop()
        core.reset()
