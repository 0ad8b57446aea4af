"""Reference data of the rules app for ``manage.py kmcs_bootstrap``: the first center-settings
row and seed 000's lot rules.

The data migrations (rules 0002, 0004) load the same rows on a fresh database. A database that
lost them (flushed by a transactional test, restored from a dump of other tables) would leave
the playbooks without lot rules and the center on built-in defaults nobody can see in the
admin; this puts them back. A table that ever had rows (its history is not empty) is left as
people left it: what a lead deleted stays deleted.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from cases.playbooks.site_rules import DEFAULT_LOT_RULES
from rules.defaults import TODAY, TODAY_SINCE_0005
from rules.models import CenterSettings, LotRule

SINCE = dt.date(2000, 1, 1)


def _hhmm(value) -> dt.time:
    if isinstance(value, dt.time):
        return value
    hour, minute = (int(part) for part in str(value).split(":")[:2])
    return dt.time(hour, minute)


def _never_had_rows(model) -> bool:
    return not model.objects.exists() and not model.history.exists()


def run(*, stdout) -> None:
    made = []
    with transaction.atomic():
        if _never_had_rows(CenterSettings):
            values = {**TODAY, **TODAY_SINCE_0005}
            for field in ("payout_cutoff", "payout_batch_time"):
                values[field] = _hhmm(values[field])
            CenterSettings.objects.create(
                effective_from=dt.datetime.combine(SINCE, dt.time(), ZoneInfo("Asia/Seoul")),
                note="시드 기준 값 (kmcs_bootstrap)",
                **values,
            )
            made.append("센터 설정 1개")
        if _never_had_rows(LotRule):
            for priority, rule in enumerate(DEFAULT_LOT_RULES, start=1):
                LotRule.objects.create(
                    code=rule.code,
                    label=rule.label,
                    action=rule.action,
                    name_keywords=", ".join(rule.name_keywords),
                    district_keywords=", ".join(rule.district_keywords),
                    public_only=rule.public_only,
                    center_name=rule.center_name,
                    center_phone=rule.center_phone,
                    priority=priority * 10,
                    effective_from=SINCE,
                    note="시드 000 정책 및 참고사항 (kmcs_bootstrap)",
                )
            made.append(f"주차장 규칙 {len(DEFAULT_LOT_RULES)}개")
    stdout.write(f"  rules: 새로 만든 행: {', '.join(made) or '없음'}\n")
