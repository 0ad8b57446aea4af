"""The OpenAPI 3 schema: valid, one facts component per playbook in the seeds' words, and a
bounded schemathesis run against it (generated requests through the real WSGI stack) that
must never see a 5xx or a response the schema does not describe."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cases.intake.facts import camel
from cases.playbooks import PLAYBOOKS


@pytest.fixture
def openapi(client_as, reference_data) -> dict:
    response = client_as("agent").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_3(openapi):
    from drf_spectacular.validation import validate_schema

    validate_schema(openapi)
    assert openapi["openapi"].startswith("3.")


def test_each_playbook_has_its_facts_component_in_the_seeds_words(openapi):
    components = openapi["components"]["schemas"]
    for code, module in PLAYBOOKS.items():
        facts = components[f"{camel(code)}FactsRequest"]
        assert facts["additionalProperties"] is False
        assert set(facts["properties"]) <= set(module.FACTS().fields)
        assert module.__doc__.strip().splitlines()[0] in facts["description"]
        labelled = [p for p in facts["properties"].values() if p.get("title")]
        assert labelled, code
        path = f"/api/v1/playbooks/{code}/evaluate/"
        body = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].endswith(f"{camel(code)}EvaluateRequest")
    intake = components["CaseCreateRequest"]
    assert intake["discriminator"]["propertyName"] == "playbook"
    assert set(intake["discriminator"]["mapping"]) == set(PLAYBOOKS)


def test_seed_wording_reaches_the_fields(openapi):
    facts = openapi["components"]["schemas"]["DriverNonrideCancelFactsRequest"]["properties"]
    assert facts["start_equals_last_point"]["title"] == "출발지와 마지막 지점 동일(유사)"
    assert "미터기 운행 상세" in facts["meter_distance_km"]["description"]


def test_docs_are_served_from_our_own_static_files(client_as, reference_data):
    page = client_as("agent").get("/api/v1/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in page
    assert "cdn" not in page.lower()


# --- schemathesis ----------------------------------------------------------------------------


def _generated_schema() -> dict:
    """The schema as /api/v1/schema/ serves it, generated in-process (no database needed).

    (schemathesis' lazy ``from_fixture`` loader does not work with pytest 9.)
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


def _wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


schema = schemathesis.openapi.from_dict(_generated_schema())
schema.app = _wsgi_app()


@pytest.fixture
def lead_token(staff, make_case):
    """A lead's token (every API action), data to read (two cases, one decided), and the WSGI
    app kept inside the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from knox.models import AuthToken

    from cases.services import case_decide

    case_decide(case=make_case(), actor=staff["team_lead"])
    make_case()
    # The app runs in this thread, inside the test's transaction: Django must not close the
    # connection at the end of each request (its own test client disconnects the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield AuthToken.objects.create(user=staff["team_lead"])[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


#: Examples per operation: small in CI (the whole run stays well under a minute); raise it with
#: KMCS_SCHEMATHESIS_EXAMPLES for a deeper run by hand.
EXAMPLES = int(os.environ.get("KMCS_SCHEMATHESIS_EXAMPLES", "6"))
#: Requests sent and answers seen, per operation, for bench/reliability_report.py.
ARTIFACT = (
    Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability" / "schemathesis.json"
)
OPERATIONS: Counter = Counter()  # per documented operation (its generated cases)
SENT: Counter = Counter()  # per request sent (coverage cases try undocumented methods too)
STATUSES: Counter = Counter()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_break_the_api(case, lead_token):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    response = case.call(headers={"Authorization": f"Token {lead_token}"})
    OPERATIONS[case.operation.label] += 1
    SENT[f"{case.method} {case.path}"] += 1
    STATUSES[f"{response.status_code // 100}xx"] += 1
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    if not SENT:  # the schemathesis test did not run (deselected)
        return
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "examples_setting": EXAMPLES,
        "operations": len(OPERATIONS),
        "requests": sum(SENT.values()),
        "statuses": dict(sorted(STATUSES.items())),
        "per_operation": dict(sorted(OPERATIONS.items())),
        "per_request_line": dict(sorted(SENT.items())),
    }
    ARTIFACT.write_text(json.dumps(report, indent=1))
