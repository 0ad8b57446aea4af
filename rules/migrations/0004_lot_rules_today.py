"""Seed 000's lot rules as rows (issue 15 A.2): 인천공항 (아지트), 성북구 공영 (고객이 직접 성북구
통합관제센터 02-6925-0023), 속초시 공영 (센터가 033-636-4240/ 033-637-6242로 연락), in force from
2000-01-01 with a history row each. The values are ``cases.playbooks.site_rules`` defaults (the
seed's own, public control-center numbers); a lead changes them in the admin afterwards."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

from cases.playbooks.site_rules import DEFAULT_LOT_RULES


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    model = apps.get_model("rules", "LotRule")
    history = apps.get_model("rules", "HistoricalLotRule")
    if model._default_manager.using(using).exists():
        return
    for priority, rule in enumerate(DEFAULT_LOT_RULES, start=1):
        row = model._default_manager.using(using).create(
            code=rule.code,
            label=rule.label,
            action=rule.action,
            name_keywords=", ".join(rule.name_keywords),
            district_keywords=", ".join(rule.district_keywords),
            public_only=rule.public_only,
            center_name=rule.center_name,
            center_phone=rule.center_phone,
            priority=priority * 10,
            effective_from=dt.date(2000, 1, 1),
            note="시드 000 정책 및 참고사항 (issue 15 이전 상수)",
        )
        fields = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        history._default_manager.using(using).create(
            **fields, history_date=timezone.now(), history_type="+"
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0003_lot_rules")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
