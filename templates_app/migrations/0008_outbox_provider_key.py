"""Issue 16: the key NHN stores (``recipientGroupingKey``, 100 characters at most) is the outbox
row's ``provider_key``, a 45-character hash of its idempotency key (up to 200 characters).

Existing rows get one so delivery reports match them by it. A row no attempt has reached the
provider with gets the hash (what every new row gets). A row already tried went out with its
idempotency key as the grouping key: it keeps that key as its provider key (when it fits), so a
retry searches for what the earlier attempt sent and a late report still names it.
"""

import hashlib

from django.db import migrations, models


def _hash(key: str) -> str:
    # templates_app.gateways.provider_key, frozen here as the migration ran.
    return "kmcs-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def backfill(apps, schema_editor):
    Message = apps.get_model("templates_app", "OutboundMessage")
    rows = Message.objects.filter(provider_key__isnull=True).only(
        "pk", "idempotency_key", "attempts"
    )
    batch = []
    for row in rows.iterator(chunk_size=2000):
        tried = row.attempts > 0 and len(row.idempotency_key) <= 100
        row.provider_key = row.idempotency_key if tried else _hash(row.idempotency_key)
        batch.append(row)
        if len(batch) >= 2000:
            Message.objects.bulk_update(batch, ["provider_key"])
            batch = []
    if batch:
        Message.objects.bulk_update(batch, ["provider_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0007_template_values_from_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaloutboundmessage",
            name="provider_key",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=100,
                null=True,
                verbose_name="발송사 그룹키",
            ),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="provider_key",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=100,
                null=True,
                unique=True,
                verbose_name="발송사 그룹키",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
