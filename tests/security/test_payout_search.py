"""Issue 12: the payout list's "계좌번호 전체" search put the full account number in a GET URL
(``?q=110-987-654321``), so it landed in access logs and browser history. Now a full number is
accepted by POST only: its keyed hash is kept in the user's session under a random token, and
the list is shown through a redirect that carries the token only. A GET with a full number is
refused with a Korean message and searches nothing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import ACCOUNT, SECRETS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:fines_finepayout_changelist"


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


@pytest.mark.parametrize("role", ["agent", "team_lead", "manager", "auditor"])
def test_a_full_account_number_is_searched_by_post_and_never_in_a_url(
    role, world, people, client_for
):
    client = client_for(people[role])
    url = reverse(CHANGELIST)
    response = client.post(url, {"account_search": "1", "account_number": ACCOUNT})
    assert response.status_code == 302
    location = response["Location"]
    assert not _leaks(location) and "acct=" in location
    page = client.get(location)
    html = page.content.decode()
    assert f"/admin/fines/finepayout/{world.payout.pk}/change/" in html
    # No URL the page generates (filters, pagination, links, form actions) carries the number.
    assert not [u for u in _urls_in(html) if _leaks(u)]
    assert not _leaks(html)
    # The token works only in the session that searched: another user gets nothing.
    other = client_for(people["team_lead" if role != "team_lead" else "manager"])
    html = other.get(location).content.decode()
    assert f"/admin/fines/finepayout/{world.payout.pk}/change/" not in html
    assert "계좌번호 검색이 만료" in html


@pytest.mark.parametrize(
    "params",
    [{"q": ACCOUNT}, {"q": ACCOUNT.replace("-", "")}, {"acct": ACCOUNT.replace("-", "")}],
)
def test_a_get_with_a_full_account_number_is_refused_with_a_korean_message(
    params, world, people, client_for
):
    response = client_for(people["team_lead"]).get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/admin/fines/finepayout/{world.payout.pk}/change/" not in html
    assert "주소(URL)로 검색할 수 없습니다" in html or "계좌번호 검색이 만료" in html


def test_a_post_without_a_full_number_searches_nothing(world, people, client_for):
    client = client_for(people["agent"])
    response = client.post(reverse(CHANGELIST), {"account_search": "1", "account_number": "12"})
    assert response.status_code == 302 and response["Location"] == reverse(CHANGELIST)
    html = client.get(response["Location"]).content.decode()
    assert "계좌번호 전체(숫자 10자리 이상" in html


def test_the_search_form_posts_with_a_csrf_token(world, people, client_for):
    html = client_for(people["agent"]).get(reverse(CHANGELIST)).content.decode()
    form = html.split('id="account-search"')[1].split("</form>")[0]
    assert 'method="post"' in html.split('id="account-search"')[0][-80:] + form
    assert "csrfmiddlewaretoken" in form and 'name="account_number"' in form
