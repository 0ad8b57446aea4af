"""Recipients and mentions are rows now (0004, filled by 0005): drop the text copies."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_recipients_to_contact_rows")]

    operations = [
        migrations.RemoveField(
            model_name="channel",
            name="recipients_cc",
        ),
        migrations.RemoveField(
            model_name="channel",
            name="recipients_to",
        ),
        migrations.RemoveField(
            model_name="historicalchannel",
            name="recipients_cc",
        ),
        migrations.RemoveField(
            model_name="historicalchannel",
            name="recipients_to",
        ),
        migrations.RemoveField(
            model_name="historicalroute",
            name="mentions",
        ),
        migrations.RemoveField(
            model_name="route",
            name="mentions",
        ),
    ]
