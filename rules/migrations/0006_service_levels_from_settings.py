"""The seed 003 service levels were the Django setting ``KMCS_SERVICE_LEVELS`` (team, cpo): a
deployment that configured them keeps its values, now as center settings a lead edits. Every
existing row gets a history row saying where the new values (levels, Agit boards, billing
memos) came from."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

RULE_KINDS = ("business_days:", "days:", "hours:")


def _usable(rule):
    rule = (rule or "").strip()
    return rule == "next_business_day" or (
        rule.startswith(RULE_KINDS) and rule.partition(":")[2].isdigit()
    )


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    model = apps.get_model("rules", "CenterSettings")
    history = apps.get_model("rules", "HistoricalCenterSettings")
    levels = getattr(settings, "KMCS_SERVICE_LEVELS", {}) or {}
    for row in model._default_manager.using(using).all():
        for field, name in (("ev_team_answer_rule", "team"), ("ev_cpo_answer_rule", "cpo")):
            if _usable(levels.get(name)):
                setattr(row, field, levels[name].strip())
        row.save(using=using)
        fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        history._default_manager.using(using).create(
            **fields,
            history_date=timezone.now(),
            history_type="~",
            history_change_reason=(
                "전기차충전 서비스 수준·아지트 게시판·빌링처리 메모를 센터 설정으로 (issue 15)"
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0005_center_settings_ev_agit_memos")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
