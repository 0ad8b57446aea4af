# ruff: noqa: F811  (fixtures imported from mail_support are parameters here)
"""Agit posts through the webhook (issue 16 item 3) against the sandbox on 127.0.0.1: the
link comes back and is stored, a 5xx is retried with the same idempotency key and posts once
(counted at the sandbox), a 4xx fails at once, and a link typed by hand still works."""

from __future__ import annotations

import json
from urllib import request

import pytest

from cases.exceptions import ActionNotAllowed
from cases.models import AgitDelivery, CaseStep, EscalationPost, StepStatus
from cases.services.agit import escalation_post_publish, escalation_post_retry
from cases.services.escalations import escalation_post_create, escalation_post_mark_posted
from kmcs_site.sandbox.server import set_behaviour
from tests.sandbox.conftest import sandbox  # noqa: F401 (fixture)

from .mail_support import ev_case, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agit(sandbox, settings):
    settings.KMCS_AGIT_WEBHOOK_URL = f"{sandbox.url}/agit/v1/posts"
    settings.KMCS_AGIT_TOKEN = "agit-test-token"
    settings.KMCS_AGIT_BOARDS = {
        "전기차충전cs": "300017093",
        "[운영] 전기차충전 CS 대응": "300017001",
    }
    settings.KMCS_AGIT_TIMEOUT = 1.0
    settings.KMCS_AGIT_MAX_ATTEMPTS = 3
    return sandbox


def sandbox_posts(server):
    with request.urlopen(f"{server.url}/agit/v1/posts", timeout=5) as answer:  # nosec B310
        return json.loads(answer.read())


def test_a_new_post_is_written_through_the_webhook_and_keeps_the_link(
    agit, ev_case, people, django_capture_on_commit_callbacks
):
    case = ev_case()
    with django_capture_on_commit_callbacks(execute=True):
        post = escalation_post_create(
            case=case,
            actor=people.agent,
            board="[운영] 전기차충전 CS 대응",
            body="특이사항 공유",
            mentions=["owner4", "@owner5"],
        )
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.POSTED and post.attempts == 1
    assert post.link_url.startswith(agit.url + "/agit/g/300017001/wall/")
    listed = sandbox_posts(agit)
    assert listed["created"] == 1
    assert listed["posts"][0]["mentions"] == ["@owner4", "@owner5"]


def test_playbook_post_published_ticks_its_step(
    agit, ev_case, people, django_capture_on_commit_callbacks
):
    case = ev_case()
    post = EscalationPost.objects.get(case=case, board="전기차충전cs")
    assert post.delivery_status == ""  # written at the decision, to post
    with django_capture_on_commit_callbacks(execute=True):
        escalation_post_publish(post=post, actor=people.agent)
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.POSTED and post.link_url
    step = CaseStep.objects.get(case=case, code="post_agit")
    assert step.status == StepStatus.DONE


@pytest.mark.parametrize("switch", ["fail_next", "lose_next"])
def test_5xx_is_retried_with_the_same_key_and_posts_once(
    agit, ev_case, people, django_capture_on_commit_callbacks, switch
):
    """fail_next: refused before posting; lose_next: posted, then the answer was a 503."""
    set_behaviour(agit.url, "agit", **{switch: 1, "status": 503})
    case = ev_case()
    post = EscalationPost.objects.get(case=case, board="전기차충전cs")
    with django_capture_on_commit_callbacks(execute=True):
        escalation_post_publish(post=post, actor=people.agent)
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.POSTED
    assert post.attempts == 2
    assert sandbox_posts(agit)["created"] == 1


def test_4xx_fails_at_once_then_a_lead_retries(
    agit, settings, ev_case, people, django_capture_on_commit_callbacks
):
    set_behaviour(agit.url, "agit", fail_next=1, status=400)
    case = ev_case()
    post = EscalationPost.objects.get(case=case, board="전기차충전cs")
    with django_capture_on_commit_callbacks(execute=True):
        escalation_post_publish(post=post, actor=people.agent)
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.FAILED and post.attempts == 1
    assert "HTTP 400" in post.last_error and not post.link_url
    assert sandbox_posts(agit)["created"] == 0
    with pytest.raises(ActionNotAllowed):
        escalation_post_retry(post=post, actor=people.agent)
    with django_capture_on_commit_callbacks(execute=True):
        escalation_post_retry(post=post, actor=people.lead)
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.POSTED
    assert sandbox_posts(agit)["created"] == 1


def test_5xx_past_the_attempts_fails_and_posts_nothing(
    agit, ev_case, people, django_capture_on_commit_callbacks
):
    set_behaviour(agit.url, "agit", fail_next=10, status=502)
    post = EscalationPost.objects.get(case=ev_case(), board="전기차충전cs")
    with django_capture_on_commit_callbacks(execute=True):
        escalation_post_publish(post=post, actor=people.agent)
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.FAILED and post.attempts == 3
    assert sandbox_posts(agit)["created"] == 0


def test_unmapped_board_fails_without_calling(
    agit, ev_case, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = escalation_post_create(
            case=ev_case(), actor=people.agent, board="없는 게시판", body="본문"
        )
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.FAILED and "게시판 매핑 없음" in post.last_error
    assert sandbox_posts(agit)["created"] == 0


def test_a_link_typed_by_hand_still_works(
    agit, ev_case, people, django_capture_on_commit_callbacks
):
    case = ev_case()
    with django_capture_on_commit_callbacks(execute=True):
        post = escalation_post_create(
            case=case,
            actor=people.agent,
            board="전기차충전cs",
            body="직접 작성한 글",
            link_url="https://agit.example/g/300017093/wall/1",
        )
    post.refresh_from_db()
    assert post.delivery_status == "" and post.link_url.endswith("/wall/1")
    playbook_post = EscalationPost.objects.get(case=case, board="전기차충전cs", reason="playbook")
    escalation_post_mark_posted(
        post=playbook_post, link_url="https://agit.example/g/300017093/wall/2", actor=people.agent
    )
    assert CaseStep.objects.get(case=case, code="post_agit").status == StepStatus.DONE
    assert sandbox_posts(agit)["created"] == 0


def test_without_a_webhook_posts_stay_manual(settings, ev_case, people):
    settings.KMCS_AGIT_WEBHOOK_URL = ""
    post = escalation_post_create(
        case=ev_case(), actor=people.agent, board="전기차충전cs", body="b"
    )
    assert post.delivery_status == ""
