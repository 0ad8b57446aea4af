"""Helpers the playbook modules share: Korean formatting, fact fields with Korean messages.

Pure (no I/O). The formats match ``templates_app.definitions.VARIABLE_TYPES`` so a script the
agent reads and an SMS the customer receives show a date or an amount the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

from .base import SEOUL, PlaybookError

# --------------------------------------------------------------------------- formatting


def won(amount: int) -> str:
    """12300 -> '12,300원' (the seeds' '0,000원')."""
    return f"{amount:,}원"


def md(day: date) -> str:
    """The seeds' '0월 0일'."""
    return f"{day.month}월 {day.day}일"


def ymd(day: date) -> str:
    """The seeds' '0000년 00월 00일'."""
    return f"{day.year}년 {day.month:02d}월 {day.day:02d}일"


def yy_dots(day: date) -> str:
    """The coupon expiry as seed 000 writes it: '24.12.31'."""
    return f"{day.year % 100:02d}.{day.month:02d}.{day.day:02d}"


def seoul(moment: datetime) -> datetime:
    """An aware moment seen in Asia/Seoul (naive values are taken as Seoul wall time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SEOUL)
    return moment.astimezone(SEOUL)


def ymd_hm(moment: datetime) -> str:
    """'2024년 03월 05일 14:30' (the template type ``datetime``)."""
    local = seoul(moment)
    return f"{ymd(local.date())} {local:%H:%M}"


def duration(minutes: int) -> str:
    """135 -> '2시간 15분', 120 -> '2시간', 45 -> '45분' (seed 000: '총 O시간 O분')."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"{hours}시간 {rest}분"
    if hours:
        return f"{hours}시간"
    return f"{rest}분"


# How digits are read (영 일 이 삼 사 오 육 칠 팔 구): the final consonant decides the particle.
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ"}
_DIGIT_FINAL |= {"8": "ㄹ", "9": ""}
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def _final(word: str) -> str | None:
    """The last syllable's final consonant ('' for none), None when it cannot be told."""
    for ch in reversed(word.strip()):
        if "가" <= ch <= "힣":
            return _FINALS[(ord(ch) - 0xAC00) % 28].strip()
        if ch in _DIGIT_FINAL:
            return _DIGIT_FINAL[ch]
        if ch.isalpha():
            return ""
    return None


def josa(word: str, pair: str) -> str:
    """``word`` with the right particle: josa('예약일', '은/는') -> '예약일은'.

    Pairs: '은/는', '이/가', '을/를', '으로/로' (ㄹ takes 로). Unknown endings take the first.
    """
    with_final, without = pair.split("/")
    final = _final(word)
    if final is None:
        return word + with_final
    if with_final == "으로":
        return word + ("로" if final in ("", "ㄹ") else "으로")
    return word + (with_final if final else without)


# --------------------------------------------------------------------------- fact fields


def _messages(label: str) -> dict[str, str]:
    """Korean error messages naming the field, for every key the DRF fields we use can raise.

    DRF formats these with ``str.format(**kwargs)``, hence the doubled braces.
    """
    return {
        "required": f"{label}: 필수 항목입니다.",
        "null": f"{label}: 값이 비어 있습니다.",
        "blank": f"{label}: 빈 값은 입력할 수 없습니다.",
        "invalid": f"{label}: 형식이 올바르지 않습니다.",
        "invalid_choice": f"{label}: 선택할 수 없는 값입니다 ({{input}}).",
        "max_length": f"{label}: {{max_length}}자 이하로 입력해 주세요.",
        "min_length": f"{label}: {{min_length}}자 이상 입력해 주세요.",
        "min_value": f"{label}: {{min_value}} 이상이어야 합니다.",
        "max_value": f"{label}: {{max_value}} 이하여야 합니다.",
        "max_string_length": f"{label}: 값이 너무 깁니다.",
        "max_digits": f"{label}: 전체 {{max_digits}}자리 이하로 입력해 주세요.",
        "max_decimal_places": f"{label}: 소수점 {{max_decimal_places}}자리까지 입력해 주세요.",
        "max_whole_digits": f"{label}: 정수부는 {{max_whole_digits}}자리 이하로 입력해 주세요.",
        "datetime": f"{label}: 날짜(YYYY-MM-DD)만 입력해 주세요.",
        "date": f"{label}: 날짜와 시각(YYYY-MM-DDTHH:MM)을 입력해 주세요.",
        "make_aware": f"{label}: Asia/Seoul 시간대에 없는 시각입니다.",
        "overflow": f"{label}: 날짜 범위를 벗어났습니다.",
    }


def _kw(label: str, help_text: str, required: bool, default: Any, allow_null: bool) -> dict:
    kw: dict[str, Any] = {
        "label": label,
        "help_text": help_text,
        "error_messages": _messages(label),
    }
    if default is not dataclasses.MISSING:
        kw["default"] = default
    else:
        kw["required"] = required
    if allow_null:
        kw["allow_null"] = True
    return kw


_NO = dataclasses.MISSING


def text(
    label: str,
    help_text: str = "",
    *,
    required: bool = True,
    default: Any = _NO,
    max_length: int = 200,
    min_length: int | None = None,
) -> serializers.CharField:
    kw = _kw(label, help_text, required, default, False)
    blank_ok = not required or default is not _NO
    return serializers.CharField(
        max_length=max_length,
        min_length=min_length,
        allow_blank=blank_ok,
        trim_whitespace=True,
        **kw,
    )


def boolean(
    label: str, help_text: str = "", *, default: Any = False, allow_null: bool = False
) -> serializers.BooleanField:
    return serializers.BooleanField(**_kw(label, help_text, False, default, allow_null))


def integer(
    label: str,
    help_text: str = "",
    *,
    required: bool = True,
    default: Any = _NO,
    min_value: int = 0,
    max_value: int = 100_000_000,
    allow_null: bool = False,
) -> serializers.IntegerField:
    kw = _kw(label, help_text, required, default, allow_null)
    return serializers.IntegerField(min_value=min_value, max_value=max_value, **kw)


def decimal(
    label: str,
    help_text: str = "",
    *,
    required: bool = True,
    default: Any = _NO,
    max_digits: int = 6,
    decimal_places: int = 1,
    min_value: int = 0,
    allow_null: bool = False,
) -> serializers.DecimalField:
    kw = _kw(label, help_text, required, default, allow_null)
    return serializers.DecimalField(
        max_digits=max_digits, decimal_places=decimal_places, min_value=min_value, **kw
    )


def day(
    label: str, help_text: str = "", *, required: bool = True, default: Any = _NO
) -> serializers.DateField:
    return serializers.DateField(**_kw(label, help_text, required, default, default is None))


def moment(
    label: str, help_text: str = "", *, required: bool = True, default: Any = _NO
) -> serializers.DateTimeField:
    kw = _kw(label, help_text, required, default, default is None)
    return serializers.DateTimeField(default_timezone=SEOUL, **kw)


def choice(
    label: str,
    choices: Mapping[str, str] | list[tuple[str, str]],
    help_text: str = "",
    *,
    required: bool = True,
    default: Any = _NO,
) -> serializers.ChoiceField:
    pairs = list(choices.items()) if isinstance(choices, Mapping) else list(choices)
    kw = _kw(label, help_text, required, default, default is None)
    return serializers.ChoiceField(choices=pairs, **kw)


#: Where a :class:`RowChoiceField`'s current list comes from: source name -> a callable answering
#: {code: label} from the rows a lead edits (``partners`` registers "partners" when the app is
#: ready). Only pages ask (``current_choices``); the playbook itself asks its ``env``.
CHOICE_SOURCES: dict[str, Callable[[], Mapping[str, str]]] = {}
_CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class RowChoiceField(serializers.ChoiceField):
    """A choice among rows a lead edits (issue 15 A.2: 운영사 are ``partners.Partner`` rows, not
    a constant). The field checks only that the value is a code; the playbook checks it against
    the rows in force through its ``env`` (a partner added in the admin is accepted at once, a
    retired one is refused in Korean). ``choices`` stays today's list so pure code (tests, the
    fuzzers) needs no database; forms show :meth:`current_choices`."""

    def __init__(self, *, rows: str, **kwargs):
        self.rows = rows  # not ``source``: DRF's name for the attribute a field reads
        super().__init__(**kwargs)

    def current_choices(self) -> dict[str, str]:
        """The rows' list when a source is registered (a page being drawn), else ``choices``."""
        ask = CHOICE_SOURCES.get(self.rows)
        return dict(ask()) if ask is not None else dict(self.choices)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        code = str(data).strip() if isinstance(data, (str, int)) else ""
        if not code or len(code) > 40 or not set(code) <= _CODE_CHARS:
            self.fail("invalid_choice", input=data)
        return code


def row_choice(
    label: str,
    rows: str,
    defaults: Mapping[str, str],
    help_text: str = "",
    *,
    required: bool = True,
    default: Any = _NO,
) -> RowChoiceField:
    """A fact whose choices are rows (``rows``: a CHOICE_SOURCES name); ``defaults`` are today's
    rows, for pure code."""
    kw = _kw(label, help_text, required, default, default is None)
    return RowChoiceField(rows=rows, choices=list(defaults.items()), **kw)


class FactsSerializer(serializers.Serializer):
    """Base of every playbook's FACTS: Korean message when the payload is not an object."""

    default_error_messages = {
        "invalid": "입력 형식이 올바르지 않습니다: 사실 항목은 객체(JSON object)여야 합니다 ({datatype}).",
        "null": "사실 항목이 비어 있습니다.",
        "required": "사실 항목이 비어 있습니다.",
    }

    @property
    def errors(self):
        errors = super().errors
        key = api_settings.NON_FIELD_ERRORS_KEY
        # DRF answers a missing payload with a fixed English 'No data provided'.
        if [getattr(e, "code", None) for e in errors.get(key, ())] == ["null"]:
            errors[key] = [ErrorDetail(self.default_error_messages["null"], code="null")]
        return errors

    def to_internal_value(self, data):
        """The fields' validation, and (issue 12) no invisible control in any value: bidi
        controls and zero-width characters are refused with the field named, whichever door
        the facts came through (API, batch, importer, the agent's form). Refused rather than
        stripped: the stored facts are what the case was decided on, so they are never altered
        silently; the renderer strips them from SMS values as well (templates_app.render)."""
        controls = invisible_control_errors(data, self.fields)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if controls and isinstance(exc.detail, dict):
                for name, errors in controls.items():
                    exc.detail.setdefault(name, errors)
            raise
        if controls:
            raise serializers.ValidationError(controls)
        return value

    def create(self, validated_data):  # pragma: no cover - facts are never saved
        raise NotImplementedError

    def update(self, instance, validated_data):  # pragma: no cover
        raise NotImplementedError


def invisible_control_errors(data: Any, fields: Mapping[str, Any]) -> dict[str, list[ErrorDetail]]:
    """``{field: [Korean error]}`` for each declared fact whose value (at any depth: lists and
    objects are walked without recursion) holds a bidi control or a zero-width character."""
    from templates_app.render import invisible_controls_in

    if not isinstance(data, Mapping):
        return {}
    errors: dict[str, list[ErrorDetail]] = {}
    for name, value in data.items():
        if name not in fields:
            continue
        codes: list[str] = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                codes.extend(c for c in invisible_controls_in(item) if c not in codes)
            elif isinstance(item, Mapping):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
        if codes:
            label = getattr(fields[name], "label", None) or name
            errors[name] = [
                ErrorDetail(
                    f"{label}: 보이지 않는 제어 문자({', '.join(codes)})는 입력할 수 없습니다. "
                    "복사해 붙여넣은 값이면 직접 다시 입력해 주세요.",
                    code="invisible_control",
                )
            ]
    return errors


def required_when(attrs: Mapping[str, Any], fields: Mapping[str, str], why: str) -> dict[str, str]:
    """Field errors for facts a branch needs but the agent left empty ({field: message})."""
    return {
        name: f"{label}: {why} 필수 항목입니다."
        for name, label in fields.items()
        if attrs.get(name) in (None, "")
    }


def refuse_override(label: str, errors: Mapping[str, Any] | str) -> None:
    """Refuse an override to the outcome ``label`` when its texts need facts the case lacks
    (``errors``: {field: Korean message}, as :func:`required_when` gives, or one message).

    The lead revises the facts first (cases.services.revisions); nothing is decided meanwhile.
    """
    if not errors:
        return
    if isinstance(errors, str):
        detail = errors
    else:
        detail = " ".join(
            str(m)
            for value in errors.values()
            for m in (value if isinstance(value, list) else [value])
        )
    raise PlaybookError(
        f"'{label}'(으)로 결정하려면 사실관계를 먼저 보완해 주세요. {detail}".rstrip()
    )


# --------------------------------------------------------------------------- redaction


def redact_strings(value: Any, replace: Callable[[str], str], *, skip: frozenset[str]) -> Any:
    """Apply ``replace`` to every free-text string inside a proposal value object.

    Dataclass fields named in ``skip`` (codes, template names, paths) stay as they are.
    """
    if isinstance(value, str):
        return replace(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: redact_strings(getattr(value, f.name), replace, skip=skip)
            for f in dataclasses.fields(value)
            if f.name not in skip
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(redact_strings(v, replace, skip=skip) for v in value)
    if isinstance(value, frozenset):
        return value
    if isinstance(value, Mapping):
        return {k: redact_strings(v, replace, skip=skip) for k, v in value.items()}
    return value
