"""kmcs_bootstrap puts back the rules rows a database lost, and leaves what people did alone."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from rules.models import CenterSettings, LotRule
from rules.selectors import center_rules, lot_rules

pytestmark = pytest.mark.django_db


def _bootstrap() -> str:
    out = io.StringIO()
    call_command("kmcs_bootstrap", stdout=out)
    return out.getvalue()


def _forget(model) -> None:
    model.objects.all().delete()
    model.history.all().delete()


def test_a_database_without_rules_rows_gets_the_seed_rows_back():
    """As after a flush: no rows, no history. Seed 000's lot rules (성북구 and others) are
    back, and the settings row shows the seeds' values in the admin."""
    codes = [rule.code for rule in lot_rules()]
    cutoff = center_rules().payout_cutoff
    _forget(LotRule)
    _forget(CenterSettings)
    assert lot_rules() == ()
    out = _bootstrap()
    assert "rules: 새로 만든 행: 센터 설정 1개, 주차장 규칙" in out
    assert [rule.code for rule in lot_rules()] == codes
    assert center_rules().payout_cutoff == cutoff
    assert CenterSettings.history.filter(history_type="+").count() == 1
    assert "rules: 새로 만든 행: 없음" in _bootstrap()  # idempotent


def test_rows_a_lead_deleted_stay_deleted():
    LotRule.objects.all().delete()  # their history says people had them
    assert "rules: 새로 만든 행: 없음" in _bootstrap()
    assert not LotRule.objects.exists()
