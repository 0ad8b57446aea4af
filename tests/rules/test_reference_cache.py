"""Issue 17.5: the reference data of a proposal cached per process, never stale after an edit.

"Another worker" is this process with the in-process signal switched off: the edit then only
changes the database's version (``ReferenceVersion.token``, replaced by triggers on every write),
which is all another worker would see. Writes that skip simple-history (``QuerySet.update``,
``bulk_create``, raw SQL) and rolled-back writes change it too.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.signals import request_finished, request_started
from simple_history.signals import post_create_historical_record

from cases.playbooks.env import DatabaseEnv
from rules import reference_cache
from rules.models import CenterSettings
from rules.selectors import center_rules, lot_rules
from rules.services import center_settings_save

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 6, 1, 9, 0, tzinfo=SEOUL)


@contextmanager
def edited_by_another_worker():
    post_create_historical_record.disconnect(reference_cache._forget_on_edit)
    try:
        yield
    finally:
        post_create_historical_record.connect(reference_cache._forget_on_edit)


@contextmanager
def one_request():
    # The cache's own receivers of request_started / request_finished: sending the signals
    # would also run Django's close_old_connections, which closes the test's connection.
    assert reference_cache._open_scope in _receivers(request_started)
    assert reference_cache._close_scope in _receivers(request_finished)
    reference_cache._open_scope()
    try:
        yield
    finally:
        reference_cache._close_scope()


def _receivers(signal):
    return [ref() for _key, ref, *_rest in signal.receivers]


@pytest.fixture(autouse=True)
def fresh_cache():
    reference_cache.reference_cache_clear()
    yield
    reference_cache.reference_cache_clear()


def _move_cutoff(actor, hour):
    row = CenterSettings.objects.get()
    row.payout_cutoff = time(hour, 0)
    center_settings_save(instance=row, actor=actor)


def test_an_edit_in_this_process_is_seen_by_the_next_read(make_user):
    lead = make_user("team_lead")
    assert center_rules(AT).payout_cutoff == time(14, 0)
    _move_cutoff(lead, 15)
    assert center_rules(AT).payout_cutoff == time(15, 0)


def test_an_edit_by_another_worker_is_seen_through_the_database_version(make_user):
    lead = make_user("team_lead")
    assert center_rules(AT).payout_cutoff == time(14, 0)
    held = reference_cache._PROCESS["snapshot"]
    with edited_by_another_worker():
        _move_cutoff(lead, 16)
    assert reference_cache._PROCESS["snapshot"] is held  # this process was not told
    assert center_rules(AT).payout_cutoff == time(16, 0)


def test_an_edit_by_another_worker_is_seen_by_the_next_request_not_mid_request(make_user):
    lead = make_user("team_lead")
    with one_request():
        assert center_rules(AT).payout_cutoff == time(14, 0)
        with edited_by_another_worker():
            _move_cutoff(lead, 17)
        # One request answers from one version (its proposal is consistent) ...
        assert center_rules(AT).payout_cutoff == time(14, 0)
    with one_request():  # ... and the next request sees the edit.
        assert center_rules(AT).payout_cutoff == time(17, 0)


def test_a_request_checks_the_version_once_then_reads_no_table(django_assert_num_queries):
    center_rules(AT)  # loaded
    env = DatabaseEnv()
    with one_request():
        with django_assert_num_queries(1):  # the version
            center_rules(AT)
            lot_rules(AT)
            env.active_campaign("t_parking_coupon", AT)
            env.template_enabled("nonexistent", True)
        with django_assert_num_queries(0):
            center_rules(AT)
    with django_assert_num_queries(1):  # outside a request: every read checks the version
        center_rules(AT)


def test_answers_equal_the_tables_at_each_moment():
    """The snapshot picks the row in force as the queries did (rows for later, before the
    first row, lot rules by their period)."""
    from django.db.models import Q

    from rules.models import LotRule

    for at in (datetime(1999, 1, 1, tzinfo=SEOUL), AT, datetime(2031, 1, 1, tzinfo=SEOUL)):
        row = (
            CenterSettings.objects.filter(effective_from__lte=at)
            .order_by("-effective_from")
            .first()
        )
        if row is None:
            assert center_rules(at).payout_cutoff == time(14, 0)  # the defaults
        else:
            assert center_rules(at).payout_cutoff == row.payout_cutoff
        day = at.date()
        codes = list(
            LotRule.objects.filter(effective_from__lte=day)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
            .order_by("priority", "code")
            .values_list("code", flat=True)
        )
        assert [rule.code for rule in lot_rules(at)] == codes


def test_campaign_extension_and_template_switch_are_seen_by_another_worker(make_user):
    from datetime import date

    from cases.models import Campaign
    from cases.services.reference import campaign_extend
    from templates_app.models import SmsTemplate

    manager = make_user("manager")
    campaign = Campaign.objects.create(
        code="bench-coupon", name="쿠폰", starts_on=date(2025, 5, 1), ends_on=date(2025, 5, 31)
    )
    env = DatabaseEnv()
    assert env.active_campaign("bench-coupon", AT) is None  # 1 June: ended
    with edited_by_another_worker():
        campaign_extend(campaign=campaign, ends_on=date(2025, 6, 30), actor=manager)
    assert env.active_campaign("bench-coupon", AT).ends_on == date(2025, 6, 30)

    template = SmsTemplate.objects.first()
    if template is None:
        pytest.skip("no SMS template in the migrated data")
    before = env.template_enabled(template.code, default=None)
    with edited_by_another_worker():
        template.enabled = not before
        template.save()
    assert env.template_enabled(template.code, default=None) is (not before)


def test_a_queryset_update_is_seen_although_it_writes_no_history():
    assert center_rules(AT).payout_cutoff == time(14, 0)
    CenterSettings.objects.update(payout_cutoff=time(13, 30))
    assert center_rules(AT).payout_cutoff == time(13, 30)


def test_bulk_create_and_raw_sql_are_seen():
    from datetime import date

    from django.db import connection

    from cases.models import Campaign

    env = DatabaseEnv()
    assert env.active_campaign("raw-coupon", AT) is None
    Campaign.objects.bulk_create(
        [
            Campaign(
                code="raw-coupon",
                name="쿠폰",
                starts_on=date(2025, 5, 1),
                ends_on=date(2025, 6, 30),
            )
        ]
    )
    assert env.active_campaign("raw-coupon", AT).ends_on == date(2025, 6, 30)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Campaign._meta.db_table} SET ends_on = %s WHERE code = %s",
            [date(2025, 5, 31), "raw-coupon"],
        )
    assert env.active_campaign("raw-coupon", AT) is None


def test_a_rolled_back_edit_leaves_no_stale_snapshot(make_user):
    from django.db import transaction

    lead = make_user("team_lead")
    before = reference_cache.reference_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        _move_cutoff(lead, 18)
        assert center_rules(AT).payout_cutoff == time(18, 0)  # seen inside its transaction
        raise RuntimeError("step failed")
    assert reference_cache.reference_version() == before
    with edited_by_another_worker():  # the rolled-back snapshot is not reused for this one
        CenterSettings.objects.update(payout_cutoff=time(12, 0))
    assert center_rules(AT).payout_cutoff == time(12, 0)


def test_without_a_version_row_every_read_loads_the_tables():
    from rules.models import ReferenceVersion

    ReferenceVersion.objects.all().delete()
    assert reference_cache.reference_version() is None
    assert center_rules(AT).payout_cutoff == time(14, 0)
    with edited_by_another_worker():
        CenterSettings.objects.update(payout_cutoff=time(11, 0))
    assert center_rules(AT).payout_cutoff == time(11, 0)


def test_installing_the_triggers_again_changes_nothing():
    from rules.reference_triggers import install

    install()
    install()
    version = reference_cache.reference_version()
    assert version
    CenterSettings.objects.update(payout_cutoff=time(10, 0))
    assert reference_cache.reference_version() != version
    assert center_rules(AT).payout_cutoff == time(10, 0)
