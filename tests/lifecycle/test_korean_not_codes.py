"""Issue 13 item 8: no raw outcome codes, figure keys, ISO timestamps, due-rule codes or "(All)"
on the pages agents, leads and auditors read; figures have Korean labels and formats."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cases.labels import FIGURES, all_outcome_labels, figure_rows, format_figure, outcome_label
from cases.models import Case
from tests.cases.playbooks.test_registry import _branch_samples

pytestmark = pytest.mark.django_db

PLAYBOOKS = (
    "parking_double_payment",
    "parking_operations",
    "driver_nonride_cancel",
    "ev_charging",
    "traffic_fine",
)
CODES = sorted(set(all_outcome_labels()) | set(FIGURES), key=len, reverse=True)
FORBIDDEN = re.compile(
    r"\b(" + "|".join(map(re.escape, CODES)) + r")\b"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"  # ISO timestamps
    r"|\b(business_days|service_level|days|hours):\w+"
    r"|\(All\)|Seed \d{3}:"
)


class _Visible(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "option") or (tag == "select"):
            self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def assert_korean(html: str, where: str) -> None:
    text = visible_text(html)
    found = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
    assert not found, f"{where}: {found}"


def test_every_figure_a_playbook_returns_has_a_label():
    from datetime import UTC, datetime

    from cases.playbooks import evaluate
    from cases.playbooks.base import StaticEnv
    from kmcs_site.demo_data import VARIANTS

    seen = set()
    for code, facts, at, env in _branch_samples():
        seen |= set(evaluate(code, facts, at, env).figures or {})
    at = datetime(2024, 12, 5, 1, 0, tzinfo=UTC)
    for variant in VARIANTS["traffic_fine"]:
        for over in ({}, {"notice_type": "penalty"}, {"violation_kind": "disabled_parking"}):
            facts = {**variant.facts(at.date(), 1), **over}
            seen |= set(evaluate("traffic_fine", facts, at, StaticEnv()).figures or {})
    assert seen and seen <= set(FIGURES), sorted(seen - set(FIGURES))


def test_the_check_catches_what_the_issue_names():
    for bad in (
        "pass_amount: 3000",
        "(approved)",
        "2024-12-05T14:00:00+09:00",
        "business_days:5",
        "모든 상담사 (All)",
        "Seed 000: 이중결제",
    ):
        assert FORBIDDEN.search(visible_text(f"<p>{bad}</p>")), bad


def test_figures_are_written_like_the_playbooks():
    assert format_figure("won", 12300) == "12,300원"
    assert format_figure("minutes", 135) == "2시간 15분"
    assert format_figure("date", "2024-12-05") == "2024년 12월 05일"
    assert format_figure("datetime", "2024-12-05T05:00:00+00:00") == "2024년 12월 05일 14:00"
    assert figure_rows({"pass_amount": 3000, "coupon_offered": False}) == [
        ("주차패스 결제금액", "3,000원"),
        ("T 주차권 쿠폰 제시", "아니오"),
    ]


@pytest.fixture
def demo(db):
    null = type("Null", (), {"write": lambda *a, **k: None, "flush": lambda *a: None})()
    call_command("kmcs_demo_users", force=True, password="pw-demo-1234", stdout=null)
    call_command("kmcs_demo_cases", force=True, stdout=null, stderr=null)
    return {u.username: u for u in get_user_model().objects.all()}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_decided_and_open_cases_read_in_korean(demo, playbook):
    lead = _client(demo["lead"])
    cases = Case.objects.filter(playbook=playbook)
    decided = cases.filter(status__in=("decided", "closed")).order_by("pk")
    assert decided.exists()
    for case in [*decided, cases.filter(status="new").first()]:
        page = lead.get(reverse("workspace:case", kwargs={"case_id": case.pk}))
        assert page.status_code == 200
        assert_korean(page.content.decode(), f"workspace #{case.pk}")
        if case.outcome:  # the decision reads as its Korean label
            assert outcome_label(playbook, case.outcome) in visible_text(page.content.decode())
        admin = lead.get(reverse("admin:cases_case_change", args=[case.pk]))
        assert admin.status_code == 200
        assert_korean(admin.content.decode(), f"admin #{case.pk}")


def test_lists_read_in_korean(demo):
    lead = _client(demo["lead"])
    for url in (reverse("workspace:queue"), reverse("admin:cases_case_changelist")):
        page = lead.get(url)
        assert page.status_code == 200
        assert_korean(page.content.decode(), url)
