"""``bench/seed_data.py`` at a small size: the rows it writes are the rows the services would
have written (cases with their history, steps, outbox, posts, clocks, rides, fines), and its
bulk path costs a number of statements per chunk, never per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _audited():
    from cases.models import Case, CaseStep, ContactAttempt, EscalationPost
    from fines.models import FineNotice, FinePayout, Ride
    from templates_app.models import OutboundMessage

    models = [Case, CaseStep, ContactAttempt, EscalationPost, OutboundMessage, Ride]
    models += [FineNotice, FinePayout]
    try:
        from cases.models import StepClock

        models.append(StepClock)
    except ImportError:  # a version without step clocks
        pass
    return models


def test_seed_writes_cases_across_playbooks_with_everything_they_leave_behind(seeded):
    from cases.models import Case, CaseUserObjectPermission, PlaybookCode

    report = seeded(200)

    assert Case.objects.count() == 200 == report.cases
    assert set(Case.objects.values_list("playbook", flat=True)) == set(PlaybookCode.values)
    assert set(Case.objects.values_list("status", flat=True)) >= {"new", "closed"}
    # Every table the generator knows got rows, and the report counts what is there.
    for model in _audited():
        table = model._meta.db_table
        assert report.rows[table] == model.objects.count() > 0, table
        history = model.history.model
        assert report.rows[history._meta.db_table] == history.objects.count()
    assert report.history_rows > report.cases * 3
    assert not [n for n in report.notes if "skipped" in n], report.notes
    # Assigned cases carry the guardian permission their queue joins on.
    assert CaseUserObjectPermission.objects.count() == Case.objects.exclude(assignee=None).count()


def test_every_generated_row_has_the_history_the_services_would_have_written(seeded):
    from cases.models import Case

    seeded(150)

    for model in _audited():
        ids = set(model.objects.values_list("pk", flat=True))
        created = set(model.history.filter(history_type="+").values_list("id", flat=True))
        assert ids == created, model.__name__  # exactly one "+" row per row
    # A case: "+" at intake, "~" at assignment, decision and closing, in time order.
    closed = Case.objects.filter(status="closed").first()
    kinds = list(closed.history.order_by("history_date").values_list("history_type", "status"))
    assert kinds == [("+", "new"), ("~", "in_progress"), ("~", "decided"), ("~", "closed")]
    decision = closed.history.get(status="decided")
    assert decision.proposal == closed.proposal and decision.history_change_reason.startswith(
        "결정: "
    )
    intake = closed.history.get(history_type="+")
    assert intake.proposal is None and intake.outcome == "" and intake.assignee_id is None


def test_a_decided_case_has_what_its_proposal_prescribes(seeded):
    from cases.models import Case

    seeded(200)

    decided = Case.objects.exclude(decided_at=None)
    assert decided.exists()
    for case in decided[:40]:
        assert case.outcome == case.proposal["outcome"]
        assert case.steps.count() == len(case.proposal["steps"])
        assert case.outbound_messages.count() <= len(case.proposal["messages"])
        assert case.escalation_posts.count() == (1 if case.proposal["escalation"] else 0)
        assert case.record_title == ((case.proposal.get("record") or {}).get("title") or "")
        if case.status == "closed":
            assert not case.steps.exclude(status="done").exists()
            assert not case.outbound_messages.exclude(status="sent").exists()
    open_cases = Case.objects.filter(decided_at=None)
    assert not open_cases.exclude(outcome="").exists()
    assert not open_cases.exclude(proposal=None).exists()


def test_traffic_fines_have_their_notice_ride_and_payout(seeded):
    from cases.models import Case

    seeded(300)

    fines = Case.objects.filter(playbook="traffic_fine")
    assert fines.exists()
    for case in fines:
        notice = case.fine_notice
        assert notice.call_id == case.call_id and notice.ride.call_id == case.call_id
        if case.outcome == "payout" and case.status == "closed":
            assert notice.payouts.filter(status__in=["scheduled", "paid"]).count() == 1


def test_seeding_again_continues_after_the_existing_rows(seeded):
    from cases.models import Case

    seeded(60)
    seeded(40)

    assert Case.objects.count() == 100
    assert Case.objects.values("business_key").distinct().count() == 100


def test_the_bulk_path_costs_statements_per_chunk_not_per_row(seeded):
    """No per-row history queries: history rows come from a fixed set of INSERT ... SELECT
    statements (and one executemany per table) per chunk, whatever the chunk's size."""
    seeded(20)  # bench users, once

    def statements(n: int) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            seeded(n, chunk=10_000)
        return [q["sql"] for q in captured.captured_queries]

    small, large = statements(40), statements(400)
    history_small = [s for s in small if "historical" in s]
    history_large = [s for s in large if "historical" in s]

    # 400 cases write thousands of history rows with as many statements as 40 cases do.
    assert len(history_large) <= len(history_small) + 2
    assert len(large) <= len(small) + 10
