"""Migration 0008's backfill of ``OutboundMessage.provider_key`` on rows that existed before it.

A row never tried gets the hash every new row gets; a row already tried went out with its
idempotency key as NHN's ``recipientGroupingKey`` and keeps that key, so a retry searches for
what the earlier attempt sent and a late delivery report still names it."""

from __future__ import annotations

from datetime import date
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from templates_app import services
from templates_app.gateways import provider_key
from templates_app.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _queue(key):
    return services.message_queue(
        template_name="테스트_기사_결제취소(승인)",
        recipient="010-0000-1234",
        context={"received_on": date(2024, 3, 5), "amount": 12300},
        idempotency_key=key,
        actor=None,
    )


def test_backfill_keeps_the_sent_key_of_tried_rows_and_hashes_the_rest(make_template):
    make_template()
    fresh, tried = _queue("case:1:fresh:driver"), _queue("case:1:tried:driver")
    too_long = _queue("case:1:" + "긴템플릿이름" * 20 + ":driver")
    assert len(too_long.idempotency_key) > 100
    OutboundMessage.objects.filter(pk__in=[tried.pk, too_long.pk]).update(attempts=2)
    OutboundMessage.objects.update(provider_key=None)  # as before the migration

    migration = import_module("templates_app.migrations.0008_outbox_provider_key")
    loader = MigrationExecutor(connection).loader
    state = loader.project_state(("templates_app", "0008_outbox_provider_key"))
    migration.backfill(state.apps, connection.schema_editor())

    keys = dict(OutboundMessage.objects.values_list("pk", "provider_key"))
    assert keys[fresh.pk] == provider_key(fresh.idempotency_key)
    assert keys[tried.pk] == tried.idempotency_key
    # Over NHN's 100: it can never have been accepted under that key; it gets the hash.
    assert keys[too_long.pk] == provider_key(too_long.idempotency_key)


def test_a_new_row_gets_its_provider_key_on_save(make_template):
    make_template()
    message = _queue("case:2:new:driver")
    assert message.provider_key == provider_key("case:2:new:driver")
    assert len(message.provider_key) == 45
