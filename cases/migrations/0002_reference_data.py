"""Load the consultation-type tree and the seed's campaign on a fresh database."""

from django.db import migrations


def load(apps, schema_editor):
    from cases.reference_data import seed_campaigns, seed_consultation_types

    seed_consultation_types(apps.get_model("cases", "ConsultationType"))
    seed_campaigns(apps.get_model("cases", "Campaign"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
