"""Database triggers that change ``ReferenceVersion.token`` on every write to the cached tables.

Installed after every ``migrate`` (``post_migrate``, idempotent) rather than once in a
migration: SQLite drops a table's triggers when a later migration rebuilds that table, and the
tables watched belong to three apps. PostgreSQL uses one statement-level trigger per table (also
on ``TRUNCATE``); SQLite one row-level trigger per table and kind of write.
"""

from __future__ import annotations

from django.db import connections

FUNCTION = "rules_reference_touch"
ROW_ID = 1


def watched_tables() -> list[str]:
    from rules.reference_cache import watched_models

    return [model._meta.db_table for model in watched_models()]


def _version_table() -> str:
    from rules.models import ReferenceVersion

    return ReferenceVersion._meta.db_table


def install(using: str = "default") -> None:
    """Create (or re-create) the triggers and the version row on database ``using``."""
    connection = connections[using]
    qn = connection.ops.quote_name
    version = qn(_version_table())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {version} (id, token) VALUES ({ROW_ID}, md5(random()::text)) "
                "ON CONFLICT (id) DO NOTHING"
            )
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN INSERT INTO {version} (id, token) "
                f"VALUES ({ROW_ID}, md5(random()::text || clock_timestamp()::text)) "
                "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token; RETURN NULL; END $$"
            )
            for table in watched_tables():
                trigger = qn(f"{FUNCTION}_{table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {qn(table)}")
                cursor.execute(
                    f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {qn(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT OR IGNORE INTO {version} (id, token) "
                f"VALUES ({ROW_ID}, lower(hex(randomblob(16))))"
            )
            for table in watched_tables():
                for event in ("INSERT", "UPDATE", "DELETE"):
                    trigger = qn(f"{FUNCTION}_{table}_{event.lower()}")
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {trigger} AFTER {event} ON {qn(table)} "
                        f"BEGIN INSERT OR REPLACE INTO {version} (id, token) "
                        f"VALUES ({ROW_ID}, lower(hex(randomblob(16)))); END"
                    )
        else:
            raise NotImplementedError(
                f"reference triggers: database {connection.vendor!r} is not supported "
                "(PostgreSQL or SQLite)"
            )


def install_after_migrate(sender, using="default", **kwargs) -> None:
    install(using)
