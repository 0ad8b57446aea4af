"""The Content-Security-Policy in a real browser (issue #12): the pages still work with scripts
from our own origin only, and Chromium reports no violation on any of them.

A lead opens the workspace (htmx filters swap the case table), the dashboard (Chart.js from our
static files), the admin (the fine intake form) and the API docs (Swagger UI and Redoc from
drf-spectacular-sidecar). A page that needed an inline script, eval or a CDN would log
"Refused to ... because it violates the following Content Security Policy directive".
"""

from __future__ import annotations

import pytest

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lead(reference_data, make_user):
    return make_user("team_lead", username="lead_csp")


#: Refusals that are the policy doing its job on a closed network, not a broken page: Redoc's
#: bundle hard-codes its "Redocly" logo from a CDN (it hides the image when it fails to load).
EXPECTED = ("Loading the image 'https://cdn.redoc.ly/",)


def _watch(page) -> list[str]:
    refused: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text and not message.text.startswith(EXPECTED):
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return refused


def test_pages_work_under_the_policy_without_a_violation(lead, open_page):
    page, screens = open_page("csp")
    refused = _watch(page)
    login(page, "lead_csp")

    # Workspace: the filter form swaps the table through htmx (an XHR, no page load).
    page.goto("/work/cases/")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.config.allowEval") is False
    with page.expect_response(
        lambda r: "/work/cases/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.locator("form.filters select").first.select_option(index=1)
    screens.shot("workspace-filtered")

    # Dashboard: Chart.js and our dashboard.js load from /static/.
    page.goto("/dashboard/")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.Chart") == "function"
    screens.shot("dashboard")

    # Admin: the fine intake form, and a changelist with Django's own admin scripts (actions).
    page.goto("/admin/fines/finenotice/add/")
    assert page.locator("input[name=call_id]").count() == 1
    screens.shot("admin-intake")
    page.goto("/admin/cases/case/")
    assert page.evaluate("typeof (window.django && window.django.jQuery)") == "function"
    screens.shot("admin-changelist")

    # API docs: Swagger UI renders the schema; its start-up script comes from ?script.
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    screens.shot("swagger")

    # Redoc renders the schema too (its search runs in a blob: worker).
    page.goto("/api/v1/redoc/")
    page.wait_for_selector("redoc h1, .api-info h1, h1", timeout=20_000)
    page.wait_for_selector("[data-section-id]", timeout=20_000)
    screens.shot("redoc")

    assert refused == [], "\n".join(refused)


def test_an_injected_inline_script_does_not_run(lead, open_page):
    """The policy is what stops a stored XSS: markup that slipped into a page cannot run."""
    page, _screens = open_page("csp-inline")
    refused = _watch(page)
    login(page, "lead_csp")
    page.goto("/work/cases/")
    page.evaluate(
        """() => {
            window.__ran = false;
            const s = document.createElement('script');
            s.textContent = 'window.__ran = true';
            document.body.appendChild(s);
            const img = document.createElement('img');
            img.setAttribute('onerror', 'window.__ran = true');
            img.src = '/nope.png';
            document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.__ran") is False
    assert refused, "Chromium reported no CSP refusal for the inline script"
