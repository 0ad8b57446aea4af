"""Issue #12: a Content-Security-Policy on every page, and no inline script anywhere.

The policy (django-csp, ``CONTENT_SECURITY_POLICY`` in the settings) lets scripts come from our
own origin only; an injected ``<script>`` or ``onerror=`` does not run. That only holds while no
page needs an inline script, so the templates are scanned, and the pages each role really
opens (workspace, admin, dashboard, audit, API docs) are rendered and their scripts checked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "bench-output", "htmlcov"}


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["script-src"] == ["'self'"], directives
    assert "'unsafe-inline'" not in directives.get("default-src", [])
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


class _Scripts(HTMLParser):
    """Every <script> that would run without a src, and every on* attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}=...>")
        if tag == "script":
            kind = (names.get("type") or "text/javascript").lower()
            data_only = kind in ("application/json", "application/ld+json", "text/template")
            self._in_inline = not names.get("src") and not data_only
            if self._in_inline:
                self.inline.append("")

    def handle_data(self, data):
        if self._in_inline:
            self.inline[-1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline = False


def scripts_of(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


# --- the templates ------------------------------------------------------------------------------
def _our_templates() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.html"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP_DIRS or "templates" not in parts:
            continue
        found.append(path)
    return sorted(found)


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE | re.DOTALL)
EVENT_ATTR = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.DOTALL)


def test_the_scan_sees_our_templates():
    names = {p.relative_to(ROOT).as_posix() for p in _our_templates()}
    assert "kmcs_site/templates/base.html" in names
    assert "cases/templates/dashboard/dashboard.html" in names
    assert len(names) > 20


@pytest.mark.parametrize("path", _our_templates(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_template_has_an_inline_script(path):
    text = path.read_text(encoding="utf-8")
    for match in SCRIPT_TAG.finditer(text):
        attrs = match.group(1)
        assert re.search(r"\bsrc\s*=", attrs) or "application/json" in attrs, (
            f"inline <script> in {path.relative_to(ROOT)}: move it into a static .js file"
        )
    assert not EVENT_ATTR.search(text), f"inline on* handler in {path.relative_to(ROOT)}"
    assert "javascript:" not in text.lower(), f"javascript: URL in {path.relative_to(ROOT)}"


def test_the_scanner_catches_an_inline_script():
    """The checks above can fail: the same code flags the things they forbid."""
    bad = '<p onclick="x()">a</p><script>alert(1)</script><script src="/s.js"></script>'
    found = scripts_of(bad)
    assert found.inline == ["alert(1)"] and found.handlers == ["<p onclick=...>"]
    assert [m.group(1) for m in SCRIPT_TAG.finditer(bad)][0] == ""
    assert EVENT_ATTR.search(bad)


# --- the pages ----------------------------------------------------------------------------------
PAGES = [
    ("agent", "workspace:queue"),
    ("agent", "workspace:case_list"),
    ("agent", "workspace:case_new"),
    ("team_lead", "dashboard:index"),
    ("auditor", "audit:history"),
    ("manager", "admin:index"),
    ("agent", "admin:fines_finenotice_add"),
    ("manager", "admin:fines_finepayout_changelist"),
    ("team_lead", "admin:cases_case_changelist"),
    ("agent", "api:docs"),
    ("agent", "api:redoc"),
    (None, "login"),
]


@pytest.mark.parametrize(("role", "name"), PAGES, ids=[n for _r, n in PAGES])
def test_every_page_has_the_policy_and_no_inline_script(client, make_user, role, name):
    if role is not None:
        client.force_login(make_user(role))
    response = client.get(reverse(name))
    assert response.status_code == 200, (name, response.status_code)
    assert_strict(response)
    found = scripts_of(response.content.decode())
    assert found.inline == [], f"{name}: inline script {found.inline[0][:200]!r}"
    assert found.handlers == [], f"{name}: {found.handlers}"


def test_swagger_loads_its_start_script_from_our_origin(client, make_user):
    client.force_login(make_user("agent"))
    page = client.get(reverse("api:docs")).content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources), sources
    start = next(src for src in sources if "script" in src.split("?", 1)[-1])
    response = client.get(start)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_redoc_links_no_outside_font(client, make_user):
    client.force_login(make_user("agent"))
    page = client.get(reverse("api:redoc")).content.decode()
    assert "googleapis" not in page and "gstatic" not in page
    assert re.search(r'<script src="/static/[^"]*redoc', page)


def test_error_and_json_responses_carry_the_policy_too(client, make_user):
    client.force_login(make_user("agent"))
    assert_strict(client.get("/work/cases/999999999/"))
    assert_strict(client.get(reverse("api:schema")))
