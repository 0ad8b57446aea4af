"""Issue 14: related cases (CaseLink, with history) and the indexes of the workspace search.

On PostgreSQL, pg_trgm (``TrigramExtension``: Django skips it on other databases) and trigram
GIN indexes over the texts the search looks into with ``icontains`` (제목, 문의내용, 처리내용,
주차장, 충전소, and the facts' 차량번호 and 출발지), written on ``UPPER(...)`` because that is
the expression Django's ``icontains`` compares on PostgreSQL; plus a btree index on the driver's
phone (a full number searched by equality). They live outside the model state (raw SQL run only
on PostgreSQL): SQLite has no GIN, and there the search is a plain ``LIKE`` over a small table.
"""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

#: (index name, indexed expression). ``cases.search`` filters on exactly these expressions.
TRIGRAM_INDEXES = (
    ("case_trgm_title", "UPPER((record_title)::text)"),
    ("case_trgm_inquiry", "UPPER(record_inquiry)"),
    ("case_trgm_notes", "UPPER(record_notes)"),
    ("case_trgm_lot", "UPPER((lot)::text)"),
    ("case_trgm_station", "UPPER((station)::text)"),
    ("case_trgm_car_number", "UPPER((facts ->> 'car_number'))"),
    ("case_trgm_origin", "UPPER((facts ->> 'origin'))"),
)


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin ({expression} gin_trgm_ops)"
        )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS case_driver_phone ON cases_case (driver_phone)"
    )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP INDEX IF EXISTS case_driver_phone")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_email_agit_webhook"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
        migrations.CreateModel(
            name="HistoricalCaseLink",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("same_tid", "같은 TID"),
                            ("same_call", "같은 콜 ID"),
                            ("follow_up", "후속 문의"),
                            ("duplicate", "중복 접수"),
                            ("merged", "병합"),
                        ],
                        max_length=20,
                        verbose_name="관계",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="메모")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="연결 시각"
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.case",
                        verbose_name="케이스",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="연결한 사람",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "other",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.case",
                        verbose_name="연결된 케이스",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical 관련 케이스",
                "verbose_name_plural": "historical 관련 케이스",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="CaseLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("same_tid", "같은 TID"),
                            ("same_call", "같은 콜 ID"),
                            ("follow_up", "후속 문의"),
                            ("duplicate", "중복 접수"),
                            ("merged", "병합"),
                        ],
                        max_length=20,
                        verbose_name="관계",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="메모")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="연결 시각"
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links_made",
                        to="cases.case",
                        verbose_name="케이스",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="연결한 사람",
                    ),
                ),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="links_received",
                        to="cases.case",
                        verbose_name="연결된 케이스",
                    ),
                ),
            ],
            options={
                "verbose_name": "관련 케이스",
                "verbose_name_plural": "관련 케이스",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["other", "kind"], name="caselink_other_kind")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case", "other", "kind"),
                        name="caselink_unique_kind",
                        violation_error_message="이미 같은 관계로 연결된 케이스입니다.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "merged")),
                        fields=("case",),
                        name="caselink_merged_once",
                        violation_error_message="이미 다른 케이스로 병합된 케이스입니다.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("case", models.F("other")), _negated=True),
                        name="caselink_not_self",
                        violation_error_message="케이스를 자기 자신과 연결할 수 없습니다.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "kind__in",
                                ["same_tid", "same_call", "follow_up", "duplicate", "merged"],
                            )
                        ),
                        name="caselink_kind_valid",
                    ),
                ],
            },
        ),
    ]
