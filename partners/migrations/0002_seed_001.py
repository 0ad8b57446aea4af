"""Load seed 001 (partners, sites, channels, contacts, routes) on a fresh database.

The data lives in ``partners/seed_data.py`` and is loaded by ``partners.seed_loader`` with the
historical models of this migration; ``partners.bootstrap`` runs the same loader later to add
rows that are missing without touching edited ones.
"""

from django.db import migrations


def load_seed(apps, schema_editor):
    from partners.seed_loader import load

    load(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]
    operations = [migrations.RunPython(load_seed, migrations.RunPython.noop)]
