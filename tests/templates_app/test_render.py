"""The pure renderer: formatting by type, every error, lengths. No database."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from templates_app.definitions import VARIABLE_TYPES
from templates_app.render import (
    ALIMTALK_MAX_CHARS,
    FORMATTERS,
    LengthClass,
    MalformedPlaceholder,
    MissingVariable,
    RenderError,
    TemplateDefinitionError,
    UndeclaredPlaceholder,
    UnknownVariable,
    UnknownVariableType,
    UnusedVariable,
    VariableTypeError,
    measure,
    placeholders,
    render_sms,
    sms_byte_length,
    template_problems,
    validate_template,
)


def render_one(type_code: str, value, *, name: str = "v"):
    return render_sms(
        body=f"[{{{{ {name} }}}}]", variables={name: type_code}, context={name: value}
    ).text


# --- formatting by type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "value", "expected"),
    [
        ("text", "그대로 나옵니다 <b>&", "[그대로 나옵니다 <b>&]"),
        ("text", "", "[]"),
        ("int", 42, "[42]"),
        ("int", -3, "[-3]"),
        ("amount", 12300, "[12,300원]"),
        ("amount", 0, "[0원]"),
        ("amount", 1234567, "[1,234,567원]"),
        ("date_md", date(2024, 3, 5), "[3월 5일]"),
        ("date_md", date(2024, 12, 25), "[12월 25일]"),
        ("date_ymd", date(2024, 3, 5), "[2024년 03월 05일]"),
        ("datetime", datetime(2024, 3, 5, 5, 30, tzinfo=UTC), "[2024년 03월 05일 14:30]"),
        # 20:00 UTC is already the next day in Seoul.
        ("datetime", datetime(2024, 3, 4, 20, 0, tzinfo=UTC), "[2024년 03월 05일 05:00]"),
        (
            "datetime",
            datetime(2024, 3, 5, 14, 30, tzinfo=timezone(timedelta(hours=9))),
            "[2024년 03월 05일 14:30]",
        ),
        ("phone", "010-0000-5678", "[010-****-5678]"),
        ("phone", "01000005678", "[010-****-5678]"),
        ("phone", "+82 10-0000-5678", "[010-****-5678]"),
        ("phone", "02-123-4567", "[02-***-4567]"),
        ("call_id", "1234567890", "[1234567890]"),
        ("url", "https://pf.kakao.com/_VGxikj", "[https://pf.kakao.com/_VGxikj]"),
        ("url", "http://pf.kakao.com/_QNMsM", "[http://pf.kakao.com/_QNMsM]"),
    ],
)
def test_values_are_formatted_by_type(type_code, value, expected):
    assert render_one(type_code, value) == expected


def test_every_declared_type_has_a_formatter():
    assert set(FORMATTERS) == set(VARIABLE_TYPES)


@pytest.mark.parametrize(
    ("type_code", "value"),
    [
        ("text", 123),
        ("text", b"bytes"),
        ("int", "1"),
        ("int", True),
        ("int", 1.0),
        ("amount", "12300"),
        ("amount", 12300.0),
        ("amount", Decimal("12300")),
        ("amount", -1),
        ("amount", False),
        ("date_md", "2024-03-05"),
        ("date_md", datetime(2024, 3, 5, tzinfo=UTC)),
        ("date_ymd", datetime(2024, 3, 5, tzinfo=UTC)),
        ("datetime", datetime(2024, 3, 5, 14, 30)),  # naive
        ("datetime", date(2024, 3, 5)),
        ("datetime", "2024-03-05 14:30"),
        ("phone", "12345"),
        ("phone", 1000005678),
        ("phone", "010-0000-567a"),
        ("call_id", "12a4"),
        ("call_id", 1234),
        ("call_id", ""),
        ("call_id", "١٢٣"),  # Arabic-Indic digits are digits, but not a call ID
        ("url", "ftp://example.com"),
        ("url", "pf.kakao.com/_VGxikj"),
        ("url", "https://exa mple.com"),
        ("url", 42),
    ],
)
def test_wrong_types_are_refused_naming_the_variable(type_code, value):
    with pytest.raises(VariableTypeError) as info:
        render_one(type_code, value, name="취소금액")
    assert "취소금액" in str(info.value)
    assert info.value.variable == "취소금액"


# --- errors ---------------------------------------------------------------------------------


def test_missing_variable_is_named():
    with pytest.raises(MissingVariable, match="amount"):
        render_sms(body="{{ amount }}", variables={"amount": "amount"}, context={})


def test_none_counts_as_missing():
    with pytest.raises(MissingVariable, match="amount") as info:
        render_sms(body="{{ amount }}", variables={"amount": "amount"}, context={"amount": None})
    assert info.value.variable == "amount"


def test_value_for_undeclared_variable_is_refused():
    with pytest.raises(UnknownVariable, match="extra") as info:
        render_sms(
            body="{{ amount }}",
            variables={"amount": "amount"},
            context={"amount": 1, "extra": "x"},
        )
    assert not isinstance(info.value, TemplateDefinitionError)


def test_undeclared_placeholder_is_a_definition_error():
    with pytest.raises(UndeclaredPlaceholder, match="call_id") as info:
        render_sms(body="콜 {{ call_id }}", variables={}, context={})
    assert isinstance(info.value, UnknownVariable)
    assert isinstance(info.value, TemplateDefinitionError)


def test_declared_but_unused_variable_is_a_definition_error():
    with pytest.raises(UnusedVariable, match="amount"):
        render_sms(body="본문", variables={"amount": "amount"}, context={"amount": 1})


def test_unknown_type_is_a_definition_error():
    with pytest.raises(UnknownVariableType, match="money"):
        render_sms(body="{{ money }}", variables={"money": "krw"}, context={"money": 1})


@pytest.mark.parametrize(
    "body",
    [
        "{{ 1abc }}",
        "{{ name",
        "name }}",
        "{{ a.b }}",
        "{{ a-b }}",
        "{{}}",
        "{{ }}",
        "{{{ name }}}",
        "{{ name }}}",
        "{{ name | upper }}",
    ],
)
def test_malformed_placeholders_are_refused(body):
    with pytest.raises(MalformedPlaceholder):
        render_sms(body=body, variables={"name": "text"}, context={"name": "x"})


def test_single_braces_are_plain_text():
    text = render_sms(body="{안내} {{ name }}", variables={"name": "text"}, context={"name": "x"})
    assert text.text == "{안내} x"


@pytest.mark.parametrize("spelling", ["{{name}}", "{{ name }}", "{{   name\t}}"])
def test_placeholder_spacing_is_free(spelling):
    rendered = render_sms(body=spelling, variables={"name": "text"}, context={"name": "홍"})
    assert rendered.text == "홍"


def test_korean_variable_names_are_python_identifiers():
    rendered = render_sms(
        body="{{ 취소금액 }}", variables={"취소금액": "amount"}, context={"취소금액": 5000}
    )
    assert rendered.text == "5,000원"


def test_a_placeholder_may_repeat():
    rendered = render_sms(
        body="{{ d }} 접수, 현재 {{ d }} 처리 중",
        variables={"d": "date_md"},
        context={"d": date(2024, 3, 5)},
    )
    assert rendered.text == "3월 5일 접수, 현재 3월 5일 처리 중"
    assert placeholders("{{ d }} {{ e }} {{ d }}") == ("d", "e")


def test_a_value_that_looks_like_a_placeholder_is_output_literally():
    rendered = render_sms(
        body="문의: {{ note }} / {{ amount }}",
        variables={"note": "text", "amount": "amount"},
        context={"note": "{{ amount }} 그리고 {{ secret }}", "amount": 100},
    )
    assert rendered.text == "문의: {{ amount }} 그리고 {{ secret }} / 100원"


def test_errors_are_render_errors_with_korean_messages():
    with pytest.raises(RenderError) as info:
        render_sms(body="{{ a }}", variables={"a": "int"}, context={})
    assert "값이 없습니다" in str(info.value)


def test_validate_template_and_problems():
    assert validate_template("{{ a }} {{ b }}", {"a": "text", "b": "amount"}) is None
    problems = template_problems("{{ a }} {{ c }}", {"a": "text", "b": "nope"})
    kinds = {type(p) for p in problems}
    assert kinds == {UnknownVariableType, UndeclaredPlaceholder, UnusedVariable}
    assert all(p.variable in {"b", "c"} for p in problems)
    with pytest.raises(TemplateDefinitionError):
        validate_template("   ", {})
    with pytest.raises(TemplateDefinitionError):
        validate_template("{{ a }}", {"1x": "text", "a": "text"})


# --- lengths --------------------------------------------------------------------------------


def test_byte_length_counts_hangul_as_two_and_ascii_as_one():
    assert sms_byte_length("abc") == (3, ())
    assert sms_byte_length("가나다") == (6, ())
    assert sms_byte_length("가a ■※") == (8, ())
    rendered = measure("똠방각하")  # CP949 (not plain EUC-KR) syllables: still 2 bytes each
    assert rendered.byte_length == 8
    assert rendered.unsupported_chars == ()


def test_characters_outside_cp949_are_counted_and_listed():
    rendered = measure("확인 🚨!")
    assert rendered.byte_length == 2 * 2 + 1 + 2 + 1
    assert rendered.unsupported_chars == ("🚨",)


@pytest.mark.parametrize(
    ("text", "length_class"),
    [
        ("a" * 90, LengthClass.SMS),
        ("가" * 45, LengthClass.SMS),
        ("가" * 45 + "a", LengthClass.LMS),
        ("a" * 2000, LengthClass.LMS),
        ("가" * 1000, LengthClass.LMS),
        ("가" * 1000 + "a", LengthClass.TOO_LONG),
    ],
)
def test_length_classes(text, length_class):
    assert measure(text).length_class == length_class


def test_alimtalk_limit_is_in_characters():
    assert measure("가" * ALIMTALK_MAX_CHARS).within_alimtalk_limit
    assert not measure("a" * (ALIMTALK_MAX_CHARS + 1)).within_alimtalk_limit


def test_rendered_reports_length_facts():
    rendered = render_sms(
        body="취소금액: {{ amount }}", variables={"amount": "amount"}, context={"amount": 12300}
    )
    assert rendered.text == "취소금액: 12,300원"
    assert rendered.length == 13
    assert rendered.byte_length == 4 * 2 + 2 + 6 + 2
    assert rendered.length_class == LengthClass.SMS
    assert rendered.within_alimtalk_limit


# --- properties -----------------------------------------------------------------------------


@given(value=st.text())
def test_any_text_value_renders_literally(value):
    rendered = render_sms(
        body="앞 {{ note }} 뒤", variables={"note": "text"}, context={"note": value}
    )
    assert rendered.text == f"앞 {value} 뒤"
    assert rendered.length == len(value) + 4
    assert rendered.byte_length >= rendered.length


@given(amount=st.integers(min_value=0, max_value=10**12))
def test_any_amount_has_thousands_separators(amount):
    assert render_one("amount", amount) == f"[{amount:,}원]"


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_any_date_formats(day):
    assert render_one("date_md", day) == f"[{day.month}월 {day.day}일]"
    assert render_one("date_ymd", day) == f"[{day.year:04d}년 {day.month:02d}월 {day.day:02d}일]"


def test_rendering_is_fast():
    """The bench asks >= 20,000 renders/s; a parse per render would not make it."""
    body = "안녕하세요. {{ d }} 접수하신 건은 이미 결제가 취소되었어요.\n■ 취소금액 : {{ a }}\n" * 5
    variables = {"d": "date_md", "a": "amount"}
    context = {"d": date(2024, 3, 5), "a": 12300}
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        render_sms(body=body, variables=variables, context=context)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{n / elapsed:.0f} renders/s"
