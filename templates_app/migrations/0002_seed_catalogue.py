"""Seed every CEMS template of templates_app/catalogue.py on a fresh database.

Reads CATALOGUE when the migration runs (the catalogue grows after this file was written) and
calls the same sync as ``bootstrap.run``, with the historical model classes. Existing
templates are never touched; reversing leaves the data in place (it is reference data).
"""

from django.db import migrations


def seed_catalogue(apps, schema_editor):
    from templates_app.catalogue import CATALOGUE
    from templates_app.services import catalogue_sync

    catalogue_sync(
        catalogue=CATALOGUE,
        template_model=apps.get_model("templates_app", "SmsTemplate"),
        version_model=apps.get_model("templates_app", "SmsTemplateVersion"),
        history_models=(
            apps.get_model("templates_app", "HistoricalSmsTemplate"),
            apps.get_model("templates_app", "HistoricalSmsTemplateVersion"),
        ),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_catalogue, migrations.RunPython.noop),
    ]
