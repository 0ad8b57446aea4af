"""Issue 15 A.1: real contacts, recipients and mentions as contact rows, effective dates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners import seed_data, services
from partners.models import Channel, Contact, Route
from partners.selectors import contacts_in_force, route_for, route_info

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


def _nicepark_cc(day=TODAY):
    return route_info(route_for(request_kind="onsite_payment_cancel", partner="nicepark", at=day))


def test_one_contact_changed_changes_every_route_naming_it(lead):
    """contact2@kakaomobility is on the Cc of 4 channels (hiparking x2, nicepark, urbanport)."""
    contact = Contact.objects.get(email="contact2@kakaomobility.example")
    assert contact.channels.count() >= 4
    services.contact_update(contact=contact, actor=lead, email="ops.new@partner.co.kr")
    for question in (
        {"request_kind": "onsite_payment_cancel", "partner": "nicepark"},
        {"request_kind": "onsite_payment_cancel", "partner": "urbanport"},
        {"request_kind": "onsite_payment_cancel", "partner": "hiparking"},
        {"request_kind": "car_number_change", "partner": "nicepark", "site_kind": "manual_normal"},
    ):
        info = route_info(route_for(**question, at=TODAY))
        assert "ops.new@partner.co.kr" in info.recipients_cc, question
        assert "contact2@kakaomobility.example" not in info.recipients_cc


def test_mentions_are_contacts_and_follow_a_renamed_handle(lead):
    owner4 = Contact.objects.get(mention="@owner4")
    info = route_info(route_for(request_kind="parking_ticket", at=TODAY))
    assert info.mentions == ("@owner4", "@owner5", "@owner6", "@owner7")
    services.contact_update(contact=owner4, actor=lead, mention="@owner4_new")
    info = route_info(route_for(request_kind="parking_ticket", at=TODAY))
    assert info.mentions == ("@owner4_new", "@owner5", "@owner6", "@owner7")


def test_seed_handles_are_spelled_one_way():
    """Seed 001 (updated): 사업담당 is "@owner4, @owner5, @owner6, @owner7" everywhere."""
    text = next(Path("/work/shared/seeds").glob("001_*.txt")).read_text()
    seed_handles = set(re.findall(r"@owner\d+", text))
    assert seed_handles == {f"@owner{n}" for n in range(1, 8)}
    data_handles = {c["mention"] for c in seed_data.CONTACTS if c["mention"]}
    assert data_handles == seed_handles
    for route in Route.objects.filter(is_active=True).exclude(seed_key=""):
        assert set(route.mentions_on(TODAY)) <= seed_handles, route
        assert "@owner8" not in route.procedure and "@owner9" not in route.procedure


def test_operator_contacts_apply_from_2025_05_01():
    """Seed 001 table 1: "운영사별 담당자 | 25.5.1부터": before that the previous process applies."""
    before = _nicepark_cc(dt.date(2025, 4, 30))
    after = _nicepark_cc(dt.date(2025, 5, 1))
    assert after.recipients_to == ("contact4@nicetcm.example",)
    assert before.recipients_to == ()
    assert "contact5@nicetcm.example" not in before.recipients_cc
    assert "contact2@kakaomobility.example" in before.recipients_cc  # 사내, no start date
    assert "2025-05-01부터 적용" in before.notes and "이전 프로세스" in before.notes
    emails = set(contacts_in_force(dt.date(2025, 4, 30)).values_list("email", flat=True))
    assert "contact4@nicetcm.example" not in emails
    assert "contact4@nicetcm.example" in set(
        contacts_in_force(dt.date(2025, 5, 1)).values_list("email", flat=True)
    )


def test_a_successor_contact_takes_over_on_its_date(lead):
    old = Contact.objects.get(email="contact4@nicetcm.example")
    services.contact_update(contact=old, actor=lead, effective_to=dt.date(2025, 6, 30))
    new = services.contact_create(
        actor=lead,
        partner=old.partner,
        label="공통 담당자",
        email="nice.new@nicetcm.co.kr",
        effective_from=dt.date(2025, 7, 1),
    )
    channel = Channel.objects.get(seed_key="channel.nicepark.email")
    services.channel_update(channel=channel, actor=lead, recipients_to=[old, new])
    assert _nicepark_cc(dt.date(2025, 6, 30)).recipients_to == ("contact4@nicetcm.example",)
    assert _nicepark_cc(dt.date(2025, 7, 1)).recipients_to == ("nice.new@nicetcm.co.kr",)


def test_overlapping_periods_for_one_handle_are_refused_in_korean(lead):
    before = Contact.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.contact_create(
            actor=lead, label="사업담당", mention="@owner5", effective_from=dt.date(2025, 8, 1)
        )
    assert "적용 기간이 겹칩니다" in " ".join(exc.value.messages)
    old = Contact.objects.get(mention="@owner5")
    assert old.effective_from is None  # 사내 담당자: in force since always
    with pytest.raises(ValidationError, match="적용 기간이 겹칩니다"):
        services.contact_create(
            actor=lead,
            label="사업담당",
            mention="@owner5",
            effective_from=dt.date(2024, 1, 1),
            effective_to=dt.date(2024, 12, 31),
        )
    assert Contact.objects.count() == before
    # After ending the old period the successor is accepted.
    services.contact_update(contact=old, actor=lead, effective_to=dt.date(2025, 7, 31))
    services.contact_create(
        actor=lead, label="사업담당", mention="@owner5", effective_from=dt.date(2025, 8, 1)
    )
    assert Contact.objects.filter(mention="@owner5").count() == 2


def test_end_before_start_is_refused(lead):
    with pytest.raises(ValidationError, match="종료일은 시작일보다"):
        services.contact_create(
            actor=lead,
            label="담당자",
            email="x@partner.co.kr",
            effective_from=dt.date(2025, 5, 2),
            effective_to=dt.date(2025, 5, 1),
        )
    assert not Contact.objects.filter(email="x@partner.co.kr").exists()


def _contact_form(contact, **overrides):
    data = {
        "partner": contact.partner_id or "",
        "label": contact.label,
        "name": contact.name,
        "email": contact.email,
        "mention": contact.mention,
        "effective_from": contact.effective_from.isoformat() if contact.effective_from else "",
        "effective_to": contact.effective_to.isoformat() if contact.effective_to else "",
        "notes": contact.notes,
        "is_active": "on",
        "_save": "저장",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["team_lead", "manager"])
def test_lead_edits_a_contact_in_the_admin_and_the_next_route_follows(client, role_users, role):
    user = role_users[role]
    client.force_login(user)
    contact = Contact.objects.get(email="contact15@urbanport.example")
    url = reverse("admin:partners_contact_change", args=[contact.pk])
    response = client.post(url, _contact_form(contact, email="urban.ops@urbanport.co.kr"))
    assert response.status_code == 302, response.content.decode()[:2000]
    info = route_info(
        route_for(request_kind="onsite_payment_cancel", partner="urbanport", at=TODAY)
    )
    assert info.recipients_to == ("urban.ops@urbanport.co.kr",)
    last = contact.history.order_by("-history_id").first()
    assert last.email == "urban.ops@urbanport.co.kr" and last.history_user == user


def test_invalid_email_in_the_admin_is_a_korean_error_and_nothing_saved(client, role_users):
    client.force_login(role_users["team_lead"])
    contact = Contact.objects.get(email="contact15@urbanport.example")
    versions = contact.history.count()
    url = reverse("admin:partners_contact_change", args=[contact.pk])
    response = client.post(url, _contact_form(contact, email="urban.ops@"))
    assert response.status_code == 200
    assert "올바른 이메일 주소가 아닙니다" in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "contact15@urbanport.example"
    assert contact.history.count() == versions


def test_overlap_in_the_admin_is_a_korean_error_and_nothing_saved(client, role_users):
    client.force_login(role_users["manager"])
    before = Contact.objects.count()
    existing = Contact.objects.get(mention="@owner6")
    response = client.post(
        reverse("admin:partners_contact_add"),
        _contact_form(existing, effective_from="2025-09-01"),
    )
    assert response.status_code == 200
    assert "적용 기간이 겹칩니다" in response.content.decode()
    assert Contact.objects.count() == before


def test_agent_cannot_edit_contacts_or_recipients(client, role_users):
    client.force_login(role_users["agent"])
    contact = Contact.objects.get(email="contact15@urbanport.example")
    url = reverse("admin:partners_contact_change", args=[contact.pk])
    response = client.post(url, _contact_form(contact, email="hack@partner.co.kr"))
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.email == "contact15@urbanport.example"
