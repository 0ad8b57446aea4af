"""case_create: validation (nothing created), idempotency key, the duplicate guard."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.models import Case, Status
from cases.services import case_create, case_transition
from tests.cases import fakes
from tests.cases.conftest import AT, CUSTOMER_PHONE, DRIVER_PHONE, finish_plan

pytestmark = pytest.mark.django_db


def _create(staff, **overrides):
    kwargs = {
        "playbook": fakes.CODE,
        "facts": fakes.facts(),
        "channel": "chatbot_board",
        "actor": staff.agent,
        "customer_phone": CUSTOMER_PHONE,
        "driver_phone": DRIVER_PHONE,
        "at": AT,
    }
    kwargs.update(overrides)
    return case_create(**kwargs)


def test_creates_a_case_with_references_business_key_and_masked_phone(staff, fake_playbook):
    result = _create(staff, driver_id="drv-7")
    case = result.case
    assert result.created and result.duplicate_of is None
    assert "접수" in result.message
    assert case.status == Status.NEW
    assert case.service == "driver"
    assert case.call_id == "900001" and case.business_key == "900001"
    assert case.customer_phone == "01000001234"
    assert case.customer_phone_last4 == "1234"
    assert case.masked_customer_phone == "010-****-1234"
    assert case.facts["received_on"] == "2024-12-02"
    assert case.created_by == staff.agent and case.created_at == AT
    assert case.history.get().history_user == staff.agent


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"facts": fakes.facts(call_id="12-34")}, "call_id"),
        ({"facts": {"decision": "approve", "received_on": "2024-12-02"}}, "call_id"),
        ({"facts": fakes.facts(decision="maybe")}, "decision"),
        ({"channel": "fax"}, "channel"),
        ({"customer_phone": "02-000-1234"}, "customer_phone"),
        ({"references": {"ticket": "x"}}, "references"),
        ({"playbook": "no_such_playbook"}, "playbook"),
        ({"idempotency_key": "  "}, "idempotency_key"),
    ],
)
def test_invalid_input_creates_nothing_and_names_the_field(staff, fake_playbook, overrides, field):
    with pytest.raises(FactsInvalid) as info:
        _create(staff, **overrides)
    assert field in info.value.errors
    assert all(msg for msg in info.value.errors[field])
    assert "입력값을 확인해 주세요" in info.value.message
    assert Case.objects.count() == 0


def test_korean_field_message_from_the_playbook_facts(staff, fake_playbook):
    with pytest.raises(FactsInvalid) as info:
        _create(staff, facts=fakes.facts(call_id="abc"))
    assert info.value.errors["call_id"] == ["콜 ID: 숫자만 입력해 주세요."]


def test_only_intake_roles_may_create(staff, fake_playbook):
    with pytest.raises(ActionNotAllowed):
        _create(staff, actor=staff.auditor)
    assert _create(staff, actor=staff.integration).created
    assert Case.objects.count() == 1


def test_same_idempotency_key_returns_the_same_case(staff, fake_playbook):
    first = _create(staff, idempotency_key="board-post-1")
    # A retry may even carry different facts: the key names the request, not the content.
    again = _create(staff, idempotency_key="board-post-1", facts=fakes.facts(call_id="123"))
    assert not again.created and again.duplicate_of is None
    assert again.case.pk == first.case.pk
    assert "이미 접수된 요청" in again.message
    assert Case.objects.count() == 1


def test_open_duplicate_returns_the_existing_case_and_says_so(staff, fake_playbook):
    first = _create(staff)
    second = _create(staff, actor=staff.agent_b, customer_phone="010-0000-9999")
    assert not second.created
    assert second.case.pk == first.case.pk and second.duplicate_of.pk == first.case.pk
    assert f"#{first.case.pk}" in second.message and "중복 접수" in second.message
    assert Case.objects.count() == 1


def test_references_win_over_facts_for_the_business_key(staff, fake_playbook):
    first = _create(staff, references={"call_id": "555"})
    assert first.case.business_key == "555" and first.case.call_id == "555"
    assert _create(staff, facts=fakes.facts(call_id="555")).duplicate_of.pk == first.case.pk


def test_a_done_case_does_not_block_a_new_inquiry(staff, fake_playbook, sms_templates):
    from cases.services import case_decide

    first = _create(staff).case
    case_decide(case=first, actor=staff.agent, at=AT)
    again = _create(staff)
    assert again.created and again.case.pk != first.pk


def test_the_database_refuses_a_second_open_case_with_the_same_key(staff, fake_playbook):
    first = _create(staff).case
    twin = Case(
        playbook=first.playbook,
        service=first.service,
        channel=first.channel,
        business_key=first.business_key,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def _lose_the_race_to(monkeypatch, make_winner, after=None):
    """A concurrent request commits ``make_winner()`` just before our INSERT (``after``, if
    given, runs once our INSERT has answered)."""
    import cases.services.intake as intake

    real_insert = intake.insert_if_new_with_history
    seen = {}

    def insert_after_a_concurrent_one(model, row, **kwargs):
        seen["winner"] = make_winner()
        pk = real_insert(model, row, **kwargs)
        seen["pk"] = pk
        if after is not None:
            after(seen["winner"])
        return pk

    monkeypatch.setattr(intake, "insert_if_new_with_history", insert_after_a_concurrent_one)
    return seen


def test_race_on_the_business_key_returns_the_winner(staff, fake_playbook, monkeypatch):
    """Another request inserts the same open business key first: our INSERT writes nothing
    (no case, no history row) and case_create returns the winner instead of failing."""
    seen = _lose_the_race_to(
        monkeypatch,
        lambda: Case.objects.create(
            playbook=fakes.CODE, service="driver", channel="chat", business_key="900001"
        ),
    )
    result = _create(staff)
    assert seen["pk"] is None
    assert not result.created
    assert result.case.pk == seen["winner"].pk == result.duplicate_of.pk
    assert Case.objects.count() == 1
    assert Case.history.count() == 1  # the winner's own


def test_race_on_the_idempotency_key_returns_the_winner(staff, fake_playbook, monkeypatch):
    """A concurrent retry of the same request inserts the key first: ours is its replay."""
    seen = _lose_the_race_to(
        monkeypatch,
        lambda: Case.objects.create(
            playbook=fakes.CODE, service="driver", channel="chat", idempotency_key="k-1"
        ),
    )
    result = _create(staff, idempotency_key="k-1", facts=fakes.facts(call_id="42"))
    assert seen["pk"] is None
    assert not result.created and result.duplicate_of is None
    assert result.case.pk == seen["winner"].pk
    assert Case.objects.count() == 1


def test_a_winner_closed_before_the_lookup_lets_the_inquiry_be_filed(
    staff, fake_playbook, monkeypatch
):
    """Our INSERT met an open case with the key, which was closed before intake looked it up:
    nothing is open for the key any more, so the inquiry is filed as a new case."""
    seen = _lose_the_race_to(
        monkeypatch,
        lambda: Case.objects.create(
            playbook=fakes.CODE, service="driver", channel="chat", business_key="900001"
        ),
        after=lambda winner: Case.objects.filter(pk=winner.pk).update(status=Status.CLOSED),
    )
    result = _create(staff)
    assert seen["pk"] is None
    assert result.created and result.duplicate_of is None
    assert result.case.pk != seen["winner"].pk
    assert result.case.history.get().history_user == staff.agent
    assert Case.objects.count() == 2


def test_intakes_history_row_is_the_one_simple_history_writes(staff, fake_playbook):
    """Intake writes the case and its "+" history row itself (one statement on PostgreSQL):
    the row holds what simple-history's own row for the same case holds."""
    filed = _create(staff, idempotency_key="k-h").case
    mine = filed.history.get()
    twin = Case.objects.get(pk=filed.pk)
    twin.pk = None
    twin.idempotency_key = "k-h2"
    twin.business_key = ""
    twin._history_user = staff.agent
    twin.save()
    theirs = twin.history.get()
    skip = {"history_id", "history_date", "id", "idempotency_key", "business_key", "updated_at"}
    names = [f.attname for f in type(mine)._meta.concrete_fields if f.attname not in skip]
    assert {n: getattr(mine, n) for n in names} == {n: getattr(theirs, n) for n in names}
    assert (mine.history_type, mine.history_user_id, mine.history_change_reason) == (
        "+",
        staff.agent.pk,
        None,
    )
    assert mine.id == filed.pk


def test_reopening_a_case_while_another_is_open_for_the_key_is_refused(
    staff, fake_playbook, sms_templates
):
    from cases.exceptions import DuplicateOpenCase
    from cases.services import case_decide, escalation_post_mark_posted

    first = _create(staff).case
    first = case_decide(case=first, actor=staff.agent, at=AT)
    for post in first.escalation_posts.all():
        escalation_post_mark_posted(
            post=post, link_url="https://agit.example/p/1", actor=staff.agent
        )
    finish_plan(first, staff.agent)
    case_transition(case=first, transition="close", actor=staff.agent)
    second = _create(staff).case
    with pytest.raises(DuplicateOpenCase) as info:
        case_transition(case=first, transition="reopen", actor=staff.lead)
    assert f"#{second.pk}" in info.value.message
    first.refresh_from_db()
    assert first.status == Status.CLOSED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_creates_one_case(staff, fake_playbook):
    """Eight threads submit the same inquiry at once: one case, everyone gets it."""
    barrier = threading.Barrier(8)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(_create(staff))
        except Exception as exc:  # collected: a thread must not swallow a failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Case.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert {r.case.pk for r in results} == {Case.objects.get().pk}
