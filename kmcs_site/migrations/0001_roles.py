"""Create the role groups. Their model permissions are synced from kmcs_site.permissions.ACTIONS
after every migrate (post_migrate), because models of later migrations have no permissions yet
at this point."""

from django.db import migrations

ROLES = ["agent", "team_lead", "deputy_lead", "manager", "auditor", "integration"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
