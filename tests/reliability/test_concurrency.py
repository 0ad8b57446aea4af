"""Real concurrency on PostgreSQL: 50 requests for the same business key at the same instant
(threads, each with its own connection, released together by a barrier) -> exactly one payout,
exactly one case; two leads saving the same route at once -> one wins, the other is told, no
silent overwrite. The database's constraints and row locks decide, not a check in Python.
"""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.security.conftest import fine_facts, nonride_facts, png_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 50
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests start from a flushed database: reference data back first."""
    import io

    from django.core.management import call_command

    call_command("kmcs_bootstrap", stdout=io.StringIO())


def all_at_once(fn, n: int = ATTEMPTS) -> list:
    """Run ``fn(i)`` in ``n`` threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(index):
        try:
            barrier.wait(timeout=30)
            results[index] = fn(index)
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    # Daemon threads: one stuck on a lock fails the test below and cannot hold pytest's exit.
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def staff(make_user):
    from cases.services import staff_profile_set_services

    lead = make_user("team_lead", username="conc_lead")
    agents = [make_user("agent", username=f"conc_agent{i}") for i in range(5)]
    for agent in agents:
        staff_profile_set_services(user=agent, services=["driver", "parking", "ev"], actor=lead)
    return {
        "lead": lead,
        "lead_b": make_user("deputy_lead", username="conc_deputy"),
        "agents": agents,
    }


def test_50_attempts_to_pay_the_same_fine_make_exactly_one_payout(staff):
    from fines.models import FinePayout
    from fines.services import fine_intake, payout_create
    from fines.services._common import FineError

    agents = staff["agents"]
    notice = fine_intake(
        facts=fine_facts("950001"),
        actor=agents[0],
        notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        decide=False,  # taken in, not yet paid: 50 agents now press "신규 지급 건 생성"
        at=AT,
    ).notice
    connection.close()

    def create(i):
        return payout_create(
            notice=notice, actor=agents[i % len(agents)], idempotency_key=f"click-{i}", at=AT
        )

    results = all_at_once(create)
    created = [r for r in results if isinstance(r, FinePayout)]
    refused = [r for r in results if isinstance(r, FineError)]
    unexpected = [r for r in results if not isinstance(r, FinePayout | FineError)]
    assert not unexpected, unexpected[:3]
    assert len(created) == 1 and len(refused) == ATTEMPTS - 1
    assert all("이미 지급 건이 있습니다" in str(r) for r in refused)
    assert FinePayout.objects.filter(notice=notice).count() == 1


def test_50_retries_with_one_idempotency_key_return_the_one_payout(staff):
    from fines.models import FinePayout
    from fines.services import fine_intake, payout_create

    agent = staff["agents"][0]
    notice = fine_intake(
        facts=fine_facts("950002"),
        actor=agent,
        notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        decide=False,
        at=AT,
    ).notice
    connection.close()
    results = all_at_once(
        lambda i: payout_create(notice=notice, actor=agent, idempotency_key="retry", at=AT)
    )
    assert all(isinstance(r, FinePayout) for r in results), [r for r in results][:3]
    assert len({r.pk for r in results}) == 1
    assert FinePayout.objects.filter(notice=notice).count() == 1


def test_50_intakes_of_the_same_call_one_holds_it_the_others_answer_duplicate(staff):
    from cases.models import Case
    from cases.services import case_create

    agents = staff["agents"]

    def intake(i):
        return case_create(
            playbook="driver_nonride_cancel",
            facts=nonride_facts("950003"),
            channel="chatbot_board",
            actor=agents[i % len(agents)],
            customer_phone="010-0000-1234",
            driver_phone="010-0000-5678",
            at=AT,
        )

    results = all_at_once(intake)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    # Seed 002 answers every post after the first (반려, 중복 접수: "이미 처리 진행 중인 동일
    # 문의가 있는 경우") with its own case linked to the one in progress; exactly one holds the call.
    holders = Case.objects.filter(call_id="950003").exclude(business_key="")
    assert holders.count() == 1
    winner = holders.get()
    assert all(r.created for r in results)
    others = [r.case for r in results if r.case.pk != winner.pk]
    assert len(others) == 49
    assert all(case.duplicate_of_id == winner.pk for case in others)
    assert all(r.answered_duplicate_of.pk == winner.pk for r in results if r.case.pk != winner.pk)


def test_two_leads_saving_the_same_route_at_once_one_is_refused(staff):
    from partners.models import Route
    from partners.services import RouteConflict, route_update

    route_id = Route.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[0]
    original_version = Route.objects.get(pk=route_id).version
    # Both leads opened the route before either saved (each holds version N).
    copies = [Route.objects.get(pk=route_id), Route.objects.get(pk=route_id)]
    editors = [staff["lead"], staff["lead_b"]]
    connection.close()

    def save(i):
        return route_update(route=copies[i], actor=editors[i], notes=f"편집자 {i}의 메모")

    results = all_at_once(save, n=2)
    won = [r for r in results if isinstance(r, Route)]
    lost = [r for r in results if isinstance(r, RouteConflict)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "다른 사용자가 이 경로를 먼저 수정했습니다" in lost[0].messages[0]
    stored = Route.objects.get(pk=route_id)
    assert stored.notes == won[0].notes  # the winner's text, not a merge and not the loser's
    assert stored.version == original_version + 1
    assert stored.history.filter(version=original_version + 1).count() == 1
