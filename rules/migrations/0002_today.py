"""Load today's values (rules/defaults.py: the seeds' 14:00 cutoff and batch, 50/50 split, 2-week
dashcam wait, evidence thresholds, coupon link, deposit account) as the first settings row, in
force since 2000-01-01, with its history row; the settings previously read from KMCS_* env
variables take effect here when set, so an existing deployment keeps its values."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from rules.defaults import TODAY

ENV_NAMES = {
    "payout_cutoff": "KMCS_PAYOUT_CUTOFF",
    "payout_batch_time": "KMCS_PAYOUT_BATCH_TIME",
    "dashcam_wait_days": "KMCS_DASHCAM_DEADLINE_DAYS",
    "evidence_max_distance_m": "KMCS_EVIDENCE_MAX_DISTANCE_M",
    "evidence_time_slack_minutes": "KMCS_EVIDENCE_TIME_SLACK_MINUTES",
    "evidence_parking_window_hours": "KMCS_EVIDENCE_PARKING_WINDOW_HOURS",
    "deposit_account": "KMCS_FINE_BRANCH_ACCOUNT",
}


def _hhmm(value):
    hour, minute = (int(p) for p in str(value).split(":")[:2])
    return dt.time(hour, minute)


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    model = apps.get_model("rules", "CenterSettings")
    history = apps.get_model("rules", "HistoricalCenterSettings")
    if model._default_manager.using(using).exists():
        return
    values = dict(TODAY)
    for field, name in ENV_NAMES.items():
        if hasattr(settings, name):
            values[field] = getattr(settings, name)
    for field in ("payout_cutoff", "payout_batch_time"):
        values[field] = _hhmm(values[field])
    row = model._default_manager.using(using).create(
        effective_from=dt.datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Seoul")),
        note="시드 기준 값 (issue 15 이전 설정)",
        **values,
    )
    fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    history._default_manager.using(using).create(
        **fields, history_date=timezone.now(), history_type="+"
    )


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_center_settings")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
