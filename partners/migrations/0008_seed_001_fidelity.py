"""Issue 15 B 001 on an existing database: the route changes ``partners/seed_data.py`` now makes.

- T월 주차권 rows (table 2 "| T월 주차권 | Parking Admin | 직접 앱에서 차량번호 변경 (25.3월
  정기권부터 적용) |"): channel Parking Admin (was the app-menu channel), keyed on the pass month
  (``pass_month_from`` 2025-03-01), in force from table 1's notice day 25.2.27; the struck rule
  ends the day before.
- Table 1 vs table 2 (수동현장 미등록·차량번호 변경: 팀장·부팀장 vs All): the table-2 "All" rows
  carry the conflict note so a lead can flip the 변경권한 with one edit.

Idempotent and respectful of people's edits: only seeded rows (by ``seed_key``) still holding
the value the seed used to give are changed; a note is appended once. Every change gets a
history row (no user, reason below).
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

from partners.seed_data import (
    T_MONTHLY_CHANNEL,
    T_MONTHLY_NOTICE_DAY,
    T_MONTHLY_PASS_MONTH,
    T_MONTHLY_SUPERSEDED_UNTIL,
    TABLE1_CONFLICT_MARK,
    TABLE1_CONFLICT_NOTE,
)

REASON = (
    "issue 15 B 001: 시드 001 표 1·2 반영 (T월 주차권 Parking Admin·정기권 월 기준, 권한 충돌 비고)"
)
OLD_T_MONTHLY_CHANNEL = "channel.app.navi_monthly"
OLD_T_MONTHLY_FROM = dt.date(2025, 3, 1)
OLD_SUPERSEDED_UNTIL = dt.date(2025, 2, 28)
KINDS = ("car_number_change", "unregistered")
T_MONTHLY_KEYS = [f"t2.{p}.{k}.t_monthly" for p in ("kmpark", "kmpns") for k in KINDS]
SUPERSEDED_KEYS = [f"t2.{p}.superseded.{k}.t_monthly" for p in ("kmpark", "kmpns") for k in KINDS]
CONFLICT_KEYS = [
    *[f"t2.kmpark.{k}.manual_normal" for k in KINDS],
    *[
        f"t2.{p}.{k}.{sk}"
        for p in ("kmpns", "other")
        for k in KINDS
        for sk in ("manual_normal", "manual_special")
    ],
]


def _history(apps, obj, using):
    history = apps.get_model("partners", "HistoricalRoute")
    names = {h.attname for h in history._meta.concrete_fields}
    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname in names
    }
    history._default_manager.using(using).create(
        **values, history_date=timezone.now(), history_type="~", history_change_reason=REASON
    )


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    Route = apps.get_model("partners", "Route")
    Channel = apps.get_model("partners", "Channel")
    routes = Route._default_manager.using(using)
    admin = Channel._default_manager.using(using).filter(seed_key=T_MONTHLY_CHANNEL).first()
    old = Channel._default_manager.using(using).filter(seed_key=OLD_T_MONTHLY_CHANNEL).first()

    def save(route, fields):
        if fields:
            route.version = (route.version or 1) + 1
            route.save(update_fields=[*fields, "version"])
            _history(apps, route, using)

    for route in routes.filter(seed_key__in=T_MONTHLY_KEYS):
        changed = []
        if admin is not None and old is not None and route.channel_id == old.pk:
            route.channel_id = admin.pk
            changed.append("channel")
        if route.pass_month_from is None:
            route.pass_month_from = dt.date.fromisoformat(T_MONTHLY_PASS_MONTH)
            changed.append("pass_month_from")
        if route.effective_from == OLD_T_MONTHLY_FROM:
            route.effective_from = dt.date.fromisoformat(T_MONTHLY_NOTICE_DAY)
            changed.append("effective_from")
        save(route, changed)

    for route in routes.filter(seed_key__in=SUPERSEDED_KEYS, effective_until=OLD_SUPERSEDED_UNTIL):
        route.effective_until = dt.date.fromisoformat(T_MONTHLY_SUPERSEDED_UNTIL)
        save(route, ["effective_until"])

    for route in routes.filter(seed_key__in=CONFLICT_KEYS):
        if TABLE1_CONFLICT_MARK not in (route.notes or ""):
            route.notes = "\n".join(n for n in (route.notes, TABLE1_CONFLICT_NOTE) if n)
            save(route, ["notes"])


class Migration(migrations.Migration):
    dependencies = [("partners", "0007_route_pass_month_from")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
