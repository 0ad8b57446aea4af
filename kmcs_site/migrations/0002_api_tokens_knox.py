"""API tokens move from DRF's authtoken (plaintext keys, no expiry) to django-rest-knox (issue 12).

A database that ran ``rest_framework.authtoken`` keeps its keys in clear in ``authtoken_token``.
Each key becomes a knox token with the same value (knox stores its SHA-512 digest and the
15-character lookup prefix), so integration clients keep sending ``Authorization: Token <key>``
unchanged; it expires after ``KMCS_API_TOKEN_TTL_DAYS`` like a new token, by when the operator
has issued a new one with ``manage.py kmcs_api_token``. Then the plaintext table is dropped and
authtoken's migration records removed (the app is no longer installed). A new database never
had the table: nothing to do. Not reversible: the keys are no longer known.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"


def move_legacy_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    table = connection.ops.quote_name(LEGACY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id FROM {table}")
        rows = cursor.fetchall()
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + timedelta(days=settings.KMCS_API_TOKEN_TTL_DAYS)
    AuthToken.objects.using(connection.alias).bulk_create(
        [
            AuthToken(
                digest=hash_token(key),
                token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=user_id,
                expiry=expiry,
            )
            for key, user_id in rows
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    recorder = MigrationRecorder(connection)
    if recorder.has_table():
        recorder.migration_qs.filter(app="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kmcs_site", "0001_roles"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(move_legacy_tokens, migrations.RunPython.noop)]
