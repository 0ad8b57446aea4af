"""Shared helpers of the playbooks: Korean formats and particles, redaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rest_framework.exceptions import ValidationError

from cases.playbooks import _common as c
from cases.playbooks import evaluate
from cases.playbooks.base import ConsultationRecord, MessageSpec, Proposal, StaticEnv, Step


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("차량번호", "은/는", "차량번호는"),
        ("예약일", "은/는", "예약일은"),
        ("주차장", "은/는", "주차장은"),
        ("12가3456", "으로/로", "12가3456으로"),  # 육: ㄱ
        ("2024년 12월 03일", "으로/로", "2024년 12월 03일로"),  # ㄹ takes 로
        ("서울 성북구 소재 주차장", "으로/로", "서울 성북구 소재 주차장으로"),
        ("34나5672", "으로/로", "34나5672로"),  # 이: no final
        ("모두의 주차권", "을/를", "모두의 주차권을"),
        ("티맵", "이/가", "티맵이"),
        ("...", "은/는", "...은"),  # cannot tell: the first form
    ],
)
def test_josa(word, pair, expected):
    assert c.josa(word, pair) == expected


def test_formats_match_the_template_types():
    assert c.won(1234500) == "1,234,500원"
    assert c.md(date(2024, 3, 5)) == "3월 5일"
    assert c.ymd(date(2024, 3, 5)) == "2024년 03월 05일"
    assert c.yy_dots(date(2024, 12, 31)) == "24.12.31"
    assert c.ymd_hm(datetime(2024, 12, 31, 15, 30, tzinfo=UTC)) == "2025년 01월 01일 00:30"
    assert [c.duration(m) for m in (45, 120, 135, 0)] == ["45분", "2시간", "2시간 15분", "0분"]


def test_redaction_touches_free_text_only():
    proposal = Proposal(
        playbook="x",
        version="1",
        outcome="A동",
        reason="A동 주차장",
        consultation_type=("A동",),
        steps=(Step("A동", "A동 라벨", script="A동"),),
        messages=(MessageSpec("A동_템플릿", "customer", {"lot": "A동", "n": 3}),),
        record=ConsultationRecord("A동", "A동", "A동"),
        figures={"A동": "A동"},
    )
    out = c.redact_strings(
        proposal,
        lambda s: s.replace("A동", "B"),
        skip=frozenset({"outcome", "consultation_type", "code", "template"}),
    )
    assert out.outcome == "A동" and out.consultation_type == ("A동",)
    assert out.steps[0].code == "A동" and out.steps[0].label == "B 라벨"
    assert out.messages[0].template == "A동_템플릿"
    assert out.messages[0].context == {"lot": "B", "n": 3}
    assert out.record == ConsultationRecord("B", "B", "B") and out.reason == "B 주차장"


def test_empty_payload_is_a_korean_error():
    with pytest.raises(ValidationError) as exc:
        evaluate("driver_nonride_cancel", None, datetime(2024, 12, 1, tzinfo=UTC), StaticEnv())
    assert "비어 있습니다" in str(exc.value.detail["non_field_errors"][0])
