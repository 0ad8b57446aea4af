"""Fine management screens: role x page matrix, lead/manager-only actions, agents see only their
fine cases, accounts masked everywhere, and flat query counts (10 rows = 300 rows)."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from fines import crypto
from fines.models import (
    AccountUnmaskLog,
    BankTransfer,
    FineNotice,
    FinePayout,
    ParkingDispute,
    PayoutBatch,
    PayoutStatus,
)
from tests.fines.conftest import ACCOUNT, SEOUL, fine_facts, notice_image

pytestmark = pytest.mark.django_db
PLAIN = ACCOUNT.replace("-", "")
ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous")


def client_for(client, role_users, role):
    user = role_users[role]
    if user is not None:
        client.force_login(user)
    return client


def status_of(client, role_users, role, url):
    return client_for(client, role_users, role).get(url).status_code


READERS = {"agent", "team_lead", "deputy_lead", "manager", "auditor"}
AGENTS = {"agent", "team_lead", "deputy_lead", "manager"}
LEADS_AND_MANAGER = {"team_lead", "deputy_lead", "manager"}
SUPERVISORS = LEADS_AND_MANAGER | {"auditor"}

PAGES = {
    "admin:fines_finenotice_changelist": READERS,
    "admin:fines_finenotice_add": AGENTS,
    "admin:fines_finepayout_changelist": READERS,
    "admin:fines_ride_changelist": READERS,
    "admin:fines_ride_add": AGENTS,
    "admin:fines_payoutbatch_changelist": SUPERVISORS,
    "admin:fines_banktransfer_changelist": SUPERVISORS,
    "admin:fines_accountunmasklog_changelist": SUPERVISORS,
    "admin:fines_parkingdispute_changelist": READERS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_role_page_matrix(client, role_users, role, page):
    code = status_of(client, role_users, role, reverse(page))
    if role == "anonymous":
        assert code == 302
    else:
        assert code == (200 if role in PAGES[page] else 403), (page, role, code)


@pytest.fixture
def paid_setup(intake):
    return intake()


@pytest.mark.parametrize("role", ROLES)
def test_reveal_page_matrix_and_log(client, role_users, role, paid_setup):
    url = reverse("admin:fines_finepayout_reveal", args=[paid_setup.payout.pk])
    client = client_for(client, role_users, role)
    response = client.post(url, {"reason": "입금 오류 확인"})
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role not in LEADS_AND_MANAGER:
        assert response.status_code == 403
        assert not AccountUnmaskLog.objects.exists()
        return
    assert response.status_code == 200
    assert PLAIN in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert AccountUnmaskLog.objects.get().actor == role_users[role]


@pytest.mark.parametrize("role", ["agent", "team_lead", "manager", "auditor"])
def test_account_is_masked_on_every_page(client, role_users, role, paid_setup):
    client = client_for(client, role_users, role)
    notice = paid_setup.notice
    # The reader's own fine (agents see only theirs): give it to this agent.
    if role == "agent":
        from cases.services import case_assign

        case_assign(case=notice.case, assignee=role_users["agent"], actor=role_users["team_lead"])
    urls = [
        reverse("admin:fines_finepayout_changelist"),
        reverse("admin:fines_finepayout_change", args=[paid_setup.payout.pk]),
        reverse("admin:fines_finenotice_changelist"),
        reverse("admin:fines_finenotice_change", args=[notice.pk]),
    ]
    if role != "agent":  # admin history is an audit read, not for agents
        urls.append(reverse("admin:fines_finepayout_history", args=[paid_setup.payout.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert PLAIN not in html and ACCOUNT not in html, url
    html = client.get(reverse("admin:fines_finepayout_change", args=[paid_setup.payout.pk])).content
    assert "********3456" in html.decode()


def test_agents_see_only_their_fine_cases(client, staff, intake):
    mine = intake(actor=staff.agent)
    theirs = intake(actor=staff.agent_b, violation_at="2024-06-15T22:30:00+09:00")
    client.force_login(staff.agent)
    html = client.get(reverse("admin:fines_finenotice_changelist")).content.decode()
    assert f"/fines/finenotice/{mine.notice.pk}/change/" in html
    assert f"/fines/finenotice/{theirs.notice.pk}/change/" not in html
    response = client.get(reverse("admin:fines_finenotice_change", args=[theirs.notice.pk]))
    assert response.status_code == 302  # "does not exist" for this agent
    image = client.get(reverse("admin:fines_finenotice_image", args=[theirs.notice.pk]))
    assert image.status_code == 404
    assert (
        client.get(reverse("admin:fines_finenotice_image", args=[mine.notice.pk])).status_code
        == 200
    )
    client.force_login(staff.manager)
    html = client.get(reverse("admin:fines_finenotice_changelist")).content.decode()
    assert f"/fines/finenotice/{theirs.notice.pk}/change/" in html


def test_search_by_call_id_and_by_full_account(client, staff, intake):
    paid = intake()
    other = intake(call_id="700002", account_number="110-000-654321", driver_phone="010-0000-5679")
    client.force_login(staff.manager)
    url = reverse("admin:fines_finepayout_changelist")
    html = client.get(url, {"q": "700001"}).content.decode()
    assert f"/fines/finepayout/{paid.payout.pk}/change/" in html
    # The full account number by POST only; the list comes back under an opaque token.
    response = client.post(url, {"account_search": "1", "account_number": "110-000-654321"})
    assert response.status_code == 302 and "654321" not in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert f"/fines/finepayout/{other.payout.pk}/change/" in html
    assert f"/fines/finepayout/{paid.payout.pk}/change/" not in html


def test_today_batch_view(client, staff, intake):
    from django.utils import timezone

    now = timezone.now()
    today = intake(at=now - timedelta(minutes=1))
    client.force_login(staff.manager)
    html = client.get(
        reverse("admin:fines_finepayout_changelist"), {"batch": "today"}
    ).content.decode()
    listed = f"/fines/finepayout/{today.payout.pk}/change/" in html
    moment = today.payout.scheduled_at.astimezone(SEOUL)
    assert listed is (moment.date() == now.astimezone(SEOUL).date())


def test_intake_form_creates_the_case(client, staff, ride):
    client.force_login(staff.agent)
    data = {
        **{k: v for k, v in fine_facts().items() if k != "violation_at"},
        "violation_at": "2024-06-15 22:20",
        "customer_phone": "010-0000-1234",
        "notice_image": notice_image(),
    }
    response = client.post(reverse("admin:fines_finenotice_add"), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    notice = FineNotice.objects.get()
    assert notice.outcome == "payout" and notice.notice_image
    assert FinePayout.objects.filter(notice=notice).exists()


def test_intake_form_shows_korean_errors_and_stores_nothing(client, staff, ride):
    client.force_login(staff.agent)
    data = {
        **fine_facts(amount=-100, account_number="12ab"),
        "customer_phone": "010-0000-1234",
        "violation_at": "2024-06-15 22:20",
    }
    response = client.post(reverse("admin:fines_finenotice_add"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "0원보다 커야" in html
    assert not FineNotice.objects.exists()


def test_manager_only_pages(client, staff, intake):
    mismatch = intake(violation_lat=35.1796, violation_lng=129.0756)
    url = reverse("admin:fines_finenotice_evidence_review", args=[mismatch.notice.pk])
    client.force_login(staff.lead)
    assert client.get(url).status_code == 403
    client.force_login(staff.manager)
    assert client.get(url).status_code == 200
    response = client.post(url, {"accept_mismatch": "1", "reason": "GPS 오차"})
    assert response.status_code == 302
    mismatch.notice.refresh_from_db()
    assert mismatch.notice.evidence_override_by == staff.manager
    payout_url = reverse("admin:fines_finenotice_payout", args=[mismatch.notice.pk])
    response = client.post(payout_url, {"charge_driver": "on"})
    assert response.status_code == 302
    payout = FinePayout.objects.get(notice=mismatch.notice)
    assert payout.status == PayoutStatus.PENDING_APPROVAL  # made by hand: four-eyes
    # The manager cannot approve their own payout; a lead can, through the list action.
    changelist = reverse("admin:fines_finepayout_changelist")
    action = {"action": "approve_selected", "_selected_action": [payout.pk], "index": 0}
    client.post(changelist, action)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    client.force_login(staff.lead)
    client.post(changelist, action)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SCHEDULED and payout.approved_by == staff.lead


def test_special_payout_page_refuses_an_agent_with_a_message(client, staff, intake):
    special = intake(violation_kind="disabled_parking")
    client.force_login(staff.agent)
    url = reverse("admin:fines_finenotice_payout", args=[special.notice.pk])
    response = client.post(url, {})
    assert response.status_code == 200
    assert "담당자(관리자)만" in response.content.decode()
    assert not FinePayout.objects.exists()


@pytest.mark.parametrize(
    ("role", "cancelled"), [("agent", False), ("team_lead", True), ("auditor", False)]
)
def test_cancel_action_is_lead_and_manager_only(client, role_users, role, cancelled, paid_setup):
    client = client_for(client, role_users, role)
    client.post(
        reverse("admin:fines_finepayout_changelist"),
        {"action": "cancel_selected", "_selected_action": [paid_setup.payout.pk]},
    )
    paid_setup.payout.refresh_from_db()
    assert (paid_setup.payout.status == "cancelled") is cancelled


@pytest.mark.parametrize(
    ("role", "done"), [("agent", False), ("team_lead", False), ("manager", True)]
)
def test_penalty_actions_are_manager_only(client, role_users, intake, role, done, staff):
    penalty = intake(notice_type="penalty")
    client = client_for(client, role_users, role)
    client.post(
        reverse("admin:fines_finenotice_changelist"),
        {"action": "consent_given", "_selected_action": [penalty.notice.pk]},
    )
    penalty.notice.refresh_from_db()
    assert (penalty.notice.consent_given is True) is done


def test_run_batch_action(client, staff, intake):
    payout = intake(at=datetime(2024, 6, 1, 9, 0, tzinfo=SEOUL)).payout
    client.force_login(staff.agent)
    client.post(
        reverse("admin:fines_finepayout_changelist"),
        {"action": "run_batch_now", "_selected_action": [payout.pk]},
    )
    payout.refresh_from_db()
    assert payout.status == "scheduled"
    client.force_login(staff.manager)
    client.post(
        reverse("admin:fines_finepayout_changelist"),
        {"action": "run_batch_now", "_selected_action": [payout.pk]},
    )
    payout.refresh_from_db()
    assert payout.status == "paid"


def _bulk(n, actor):
    """n notices with payouts (a factory: the list's query count, not the intake, is tested)."""
    base = datetime(2024, 6, 1, 10, 0, tzinfo=SEOUL)
    token = crypto.encrypt(PLAIN)
    notices = FineNotice.objects.bulk_create(
        [
            FineNotice(
                call_id=str(900000 + i),
                category="general",
                violation_at=base + timedelta(minutes=i),
                amount=10000 + i,
                bank="088",
                account=token,
                account_hash=crypto.account_hash(PLAIN),
                account_last4=PLAIN[-4:],
                account_length=len(PLAIN),
                account_holder="홍길동",
                intake_by=actor,
                outcome="payout",
            )
            for i in range(n)
        ]
    )
    FinePayout.objects.bulk_create(
        [
            FinePayout(
                notice=notice,
                call_id=notice.call_id,
                violation_at=notice.violation_at,
                amount=notice.amount,
                bank="088",
                account=token,
                account_hash=notice.account_hash,
                account_last4=notice.account_last4,
                account_length=notice.account_length,
                holder="홍길동",
                status="scheduled",
                scheduled_at=base.replace(hour=14),
                idempotency_key=f"bulk:{notice.call_id}",
                created_by=actor,
                created_at=base,
            )
            for notice in notices
        ]
    )
    payouts = list(FinePayout.objects.filter(idempotency_key__startswith="bulk:"))
    AccountUnmaskLog.objects.bulk_create(
        [AccountUnmaskLog(payout=p, actor=actor, reason="확인") for p in payouts]
    )
    batch = PayoutBatch.objects.create(run_for=base.replace(hour=14))
    BankTransfer.objects.bulk_create(
        [
            BankTransfer(
                payout=p,
                batch=batch,
                idempotency_key=p.idempotency_key,
                amount=p.amount,
                requested_at=base,
            )
            for p in payouts
        ]
    )
    ParkingDispute.objects.bulk_create(
        [ParkingDispute(notice=n, driver_claim="부인", opened_by=actor) for n in notices]
    )


@pytest.mark.parametrize(
    "page",
    [
        "admin:fines_finepayout_changelist",
        "admin:fines_finenotice_changelist",
        "admin:fines_accountunmasklog_changelist",
        "admin:fines_banktransfer_changelist",
        "admin:fines_parkingdispute_changelist",
    ],
)
@pytest.mark.parametrize("rows", [10, 300])
def test_changelist_query_count_is_flat(client, staff, django_assert_max_num_queries, page, rows):
    _bulk(rows, staff.manager)
    client.force_login(staff.manager)
    url = reverse(page)
    client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [10, 300])
def test_agent_notice_list_query_count_is_flat(client, staff, django_assert_max_num_queries, rows):
    _bulk(rows, staff.agent)
    client.force_login(staff.agent)
    url = reverse("admin:fines_finenotice_changelist")
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


ACTION_ROLES = {
    ("fines.finenotice", "consent_given"): {"manager"},
    ("fines.finenotice", "consent_refused"): {"manager"},
    ("fines.finenotice", "driver_notified"): {"manager"},
    ("fines.finenotice", "evidence_mms_sent"): {"manager"},
    ("fines.finenotice", "penalty_done"): {"manager"},
    ("fines.finenotice", "partner_claimed"): {"manager"},
    ("fines.finepayout", "cancel_selected"): LEADS_AND_MANAGER,
    ("fines.finepayout", "run_batch_now"): LEADS_AND_MANAGER,
    ("fines.parkingdispute", "request_dashcam"): {"manager"},
    ("fines.parkingdispute", "resolve_no_footage"): {"manager"},
    ("fines.parkingdispute", "confirm_cash"): {"manager"},
    ("fines.parkingdispute", "post_cash_request"): {"manager"},
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_admin_action_matrix(rf, role_users, role):
    from django.apps import apps
    from django.contrib import admin as django_admin

    request = rf.get("/")
    request.user = role_users[role]
    for (label, action), allowed in ACTION_ROLES.items():
        model = apps.get_model(label)
        model_admin = django_admin.site._registry[model]
        offered = action in model_admin.get_actions(request)
        assert offered is (role in allowed), (label, action, role)
