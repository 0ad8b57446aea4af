"""The sandbox server itself: built-in routes, behaviour switches, unknown routes."""

import json
from urllib import error, request

import pytest

from kmcs_site.sandbox import core
from kmcs_site.sandbox.server import set_behaviour


def _get(url):
    with request.urlopen(url, timeout=5) as answer:  # nosec B310
        return answer.status, answer.read()


def test_index_page_lists_nothing_at_first(sandbox):
    status, body = _get(sandbox.url + "/")
    assert status == 200
    assert "KMCS 공급자 샌드박스" in body.decode()


def test_behaviour_switch_fails_exactly_the_next_n_calls(sandbox):
    set_behaviour(sandbox.url, "demo", fail_next=2, status=502)
    assert [core.take_failure("demo") for _ in range(3)] == [502, 502, None]


def test_unknown_route_is_a_json_404(sandbox):
    with pytest.raises(error.HTTPError) as caught:
        _get(sandbox.url + "/nope")
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]


def test_received_is_json(sandbox):
    status, body = _get(sandbox.url + "/_sandbox/received")
    assert status == 200 and json.loads(body) == []
