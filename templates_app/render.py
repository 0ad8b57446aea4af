"""Strict, pure rendering of CEMS SMS templates (no database, no Django settings).

A template is a body with ``{{ name }}`` placeholders and a declaration ``name -> type`` (types
in :data:`templates_app.definitions.VARIABLE_TYPES`). Rendering refuses anything doubtful
rather than sending a customer a message with a hole or a raw placeholder in it:

- a placeholder that is not declared, or a declared variable the body never uses, or a
  malformed ``{{ ... }}`` is a *template definition* error (:class:`TemplateDefinitionError`);
- a value that is missing, not declared, or of the wrong type is a *context* error.

Every error is a :class:`RenderError` whose Korean message names the variable.

Values are formatted by type, one way everywhere, and inserted *once*: the body is parsed into
literal parts and slots when first seen (cached), so a value that itself contains ``{{ x }}``
is output literally and never rendered again.

Length rule (Korean carriers count EUC-KR/CP949 bytes: Hangul 2 bytes, ASCII 1 byte):

- ``SMS``: at most 90 bytes;
- ``LMS``: at most 2,000 bytes (carriers' long-message limit; an MMS text part has the same
  ceiling, so no longer text becomes sendable by attaching an image);
- ``TOO_LONG``: more than 2,000 bytes: cannot be sent as one message; the outbox refuses it.

Invisible controls never reach a phone: bidi embeddings, overrides, isolates and marks
(U+202A-U+202E, U+2066-U+2069, U+200E/U+200F) and zero-width characters (U+200B-U+200D,
U+2060, U+FEFF) are removed from every free-text value (types ``text`` and ``url``; the other
types are built from digits and fixed words) when it is inserted (:func:`strip_invisible_controls`).
They reorder or hide what the customer reads (a number or a link that reads one way and is
another) and no Korean message needs them. Intake refuses them in facts first
(``cases.playbooks._common.FactsSerializer``); stripping here covers every other way a value
arrives (facts stored before that rule, values computed from them, the admin preview).

Characters outside CP949 (emoji, some symbols) are counted as 2 bytes and listed in
``Rendered.unsupported_chars``: carriers may replace them with ``?``.
Kakao AlimTalk allows 1,000 characters; ``within_alimtalk_limit`` says whether the text fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from kmcs_site.privacy import mask_phone

from .definitions import VARIABLE_TYPES
from .phones import is_korean_phone, validate_korean_mobile

__all__ = [
    "ALIMTALK_MAX_CHARS",
    "LMS_MAX_BYTES",
    "SMS_MAX_BYTES",
    "LengthClass",
    "MalformedPlaceholder",
    "MissingVariable",
    "RenderError",
    "Rendered",
    "TemplateDefinitionError",
    "UndeclaredPlaceholder",
    "UnknownVariable",
    "UnknownVariableType",
    "UnusedVariable",
    "VariableTypeError",
    "mask_phone",
    "placeholders",
    "render_sms",
    "sms_byte_length",
    "strip_invisible_controls",
    "validate_korean_mobile",
    "validate_template",
]

SEOUL = ZoneInfo("Asia/Seoul")
SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
ALIMTALK_MAX_CHARS = 1000


class LengthClass(StrEnum):
    SMS = "SMS"
    LMS = "LMS"
    TOO_LONG = "TOO_LONG"


LENGTH_CLASS_LABELS = {
    LengthClass.SMS: "SMS (90바이트 이하)",
    LengthClass.LMS: "LMS (2,000바이트 이하)",
    LengthClass.TOO_LONG: "발송 불가 (2,000바이트 초과)",
}


# --- errors --------------------------------------------------------------------------------


class RenderError(ValueError):
    """A template cannot be rendered with these values. ``variable`` names the culprit."""

    def __init__(self, message: str, *, variable: str | None = None):
        super().__init__(message)
        self.variable = variable
        self.message = message


class TemplateDefinitionError(RenderError):
    """The template itself is wrong (body vs declared variables): fix the template, not the data."""


class MalformedPlaceholder(TemplateDefinitionError):
    pass


class UnknownVariableType(TemplateDefinitionError):
    pass


class UnusedVariable(TemplateDefinitionError):
    pass


class UnknownVariable(RenderError):
    """A value was given for a variable the template does not declare."""


class UndeclaredPlaceholder(UnknownVariable, TemplateDefinitionError):
    """The body uses a placeholder the declaration does not list."""


class MissingVariable(RenderError):
    pass


class VariableTypeError(RenderError):
    """The value is not of the declared type (or outside its domain, e.g. a negative amount)."""


# --- invisible controls ----------------------------------------------------------------------

#: Bidi controls (embeddings, overrides, isolates, LRM/RLM) and zero-width characters.
INVISIBLE_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f"  # LRM RLM
    "\u200b\u200c\u200d\u2060\ufeff"  # ZWSP ZWNJ ZWJ WJ BOM/ZWNBSP
)
# The same set as one character class (U+200B-U+200F is ZWSP ZWNJ ZWJ LRM RLM): a search in C
# per value keeps rendering at its speed (a translate table per value cost a third of it).
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def invisible_controls_in(text: str) -> tuple[str, ...]:
    """The invisible controls ``text`` holds, as ``U+202E`` codes, in order of first use."""
    if text.isascii():
        return ()
    found: list[str] = []
    for ch in text:
        if ch in INVISIBLE_CONTROLS:
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return tuple(found)


def strip_invisible_controls(text: str) -> str:
    """``text`` without bidi controls and zero-width characters (ASCII text is returned as is)."""
    if text.isascii() or _INVISIBLE_RE.search(text) is None:
        return text
    return _INVISIBLE_RE.sub("", text)


# --- parsing -------------------------------------------------------------------------------

# A placeholder: double braces, optional spaces/tabs, a Python identifier (Unicode allowed).
_PLACEHOLDER = re.compile(r"\{\{[ \t]*([^\W\d]\w*)[ \t]*\}\}")
# Anything that looks like an attempt at a placeholder but is not a valid one.
_BRACES = re.compile(r"\{\{|\}\}")


@dataclass(frozen=True, slots=True)
class _Parsed:
    parts: tuple[str, ...]  # literal, name, literal, name, ..., literal (odd length)
    names: tuple[str, ...]  # placeholder names in order of first use


@lru_cache(maxsize=4096)
def _parse(body: str) -> _Parsed:
    parts: list[str] = []
    names: list[str] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(body):
        literal = body[pos : match.start()]
        _check_literal(literal, body)
        name = match.group(1)
        parts.extend((literal, name))
        if name not in names:
            names.append(name)
        pos = match.end()
    tail = body[pos:]
    _check_literal(tail, body)
    parts.append(tail)
    # "{{{ x }}}" hides a stray brace next to a valid placeholder: refuse it as well.
    for i in range(1, len(parts), 2):
        if parts[i - 1].endswith("{") or parts[i + 1].startswith("}"):
            raise MalformedPlaceholder(
                f"템플릿 변수 '{parts[i]}' 주변에 중괄호가 더 있습니다: '{{{{ {parts[i]} }}}}' 형식으로 쓰세요.",
                variable=parts[i],
            )
    return _Parsed(tuple(parts), tuple(names))


def _check_literal(literal: str, body: str) -> None:
    stray = _BRACES.search(literal)
    if stray is None:
        return
    start = max(0, stray.start() - 10)
    snippet = literal[start : stray.end() + 20].replace("\n", " ")
    raise MalformedPlaceholder(
        f"템플릿 변수 형식이 잘못되었습니다: '…{snippet}…' "
        "(변수는 '{{ 이름 }}' 형식이며, 이름은 영문·한글·숫자·밑줄로 쓰고 숫자로 시작할 수 없습니다)",
        variable=None,
    )


def placeholders(body: str) -> tuple[str, ...]:
    """Placeholder names in order of first use (raises MalformedPlaceholder)."""
    return _parse(body).names


# --- formatting by type --------------------------------------------------------------------


def _type_error(name: str, expected: str, value: Any) -> VariableTypeError:
    shown = type(value).__name__
    return VariableTypeError(
        f"변수 '{name}'의 값이 형식에 맞지 않습니다: {expected} 값이어야 합니다 (받은 값의 타입: {shown}).",
        variable=name,
    )


def _fmt_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "문자열(str)", value)
    # The free-text types (text, url) are the only ones a control can arrive in: every other
    # formatter builds its output from digits and fixed Korean words.
    return strip_invisible_controls(value)


def _fmt_int(name: str, value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(name, "정수(int)", value)
    return str(value)


def _fmt_amount(name: str, value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(name, "원 단위 정수(int) 금액", value)
    if value < 0:
        raise VariableTypeError(f"변수 '{name}'의 금액이 음수입니다: {value:,}원", variable=name)
    return f"{value:,}원"


def _as_date(name: str, value: Any) -> date:
    # A datetime is a date subclass; refusing it keeps "which day in Seoul?" out of templates.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _type_error(name, "날짜(date)", value)
    return value


def _fmt_date_md(name: str, value: Any) -> str:
    d = _as_date(name, value)
    return f"{d.month}월 {d.day}일"


def _fmt_date_ymd(name: str, value: Any) -> str:
    d = _as_date(name, value)
    return f"{d.year:04d}년 {d.month:02d}월 {d.day:02d}일"


def _fmt_datetime(name: str, value: Any) -> str:
    if not isinstance(value, datetime):
        raise _type_error(name, "시각(datetime)", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise VariableTypeError(
            f"변수 '{name}'의 시각에 시간대가 없습니다 (aware datetime이어야 합니다).",
            variable=name,
        )
    local = value.astimezone(SEOUL)
    return f"{local.year:04d}년 {local.month:02d}월 {local.day:02d}일 {local.hour:02d}:{local.minute:02d}"


def _fmt_phone(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "전화번호 문자열(str)", value)
    if not is_korean_phone(value):
        raise VariableTypeError(
            f"변수 '{name}'의 전화번호가 올바르지 않습니다: {mask_phone(value) or '(빈 값)'}",
            variable=name,
        )
    return mask_phone(value)


def _fmt_call_id(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "숫자로 된 콜 ID 문자열(str)", value)
    if not (value.isascii() and value.isdigit()):
        raise VariableTypeError(
            f"변수 '{name}'의 콜 ID는 숫자만 포함해야 합니다: '{value[:30]}'", variable=name
        )
    return value


def _fmt_url(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, "URL 문자열(str)", value)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise VariableTypeError(
            f"변수 '{name}'의 URL이 올바르지 않습니다 (http:// 또는 https://로 시작해야 합니다): '{value[:60]}'",
            variable=name,
        )
    return strip_invisible_controls(value)


Formatter = Callable[[str, Any], str]

FORMATTERS: dict[str, Formatter] = {
    "text": _fmt_text,
    "int": _fmt_int,
    "amount": _fmt_amount,
    "date_md": _fmt_date_md,
    "date_ymd": _fmt_date_ymd,
    "datetime": _fmt_datetime,
    "phone": _fmt_phone,
    "call_id": _fmt_call_id,
    "url": _fmt_url,
}
assert set(FORMATTERS) == set(VARIABLE_TYPES), "every declared type needs exactly one formatter"


def format_value(type_code: str, name: str, value: Any) -> str:
    """Format one value as its type says (raises VariableTypeError / UnknownVariableType)."""
    try:
        formatter = FORMATTERS[type_code]
    except KeyError:
        raise _unknown_type(name, type_code) from None
    return formatter(name, value)


def _unknown_type(name: str, type_code: Any) -> UnknownVariableType:
    known = ", ".join(VARIABLE_TYPES)
    return UnknownVariableType(
        f"변수 '{name}'의 타입 '{type_code}'을(를) 알 수 없습니다 (가능한 타입: {known}).",
        variable=name,
    )


# --- template validation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    literals: tuple[str, ...]  # n + 1 literal parts around n slots
    slots: tuple[tuple[str, Formatter], ...]  # (name, formatter) per placeholder occurrence


def template_problems(body: str, variables: Mapping[str, str]) -> list[TemplateDefinitionError]:
    """Every definition problem of (body, variables), in a stable order; [] when it is valid.

    The admin shows them all at once; :func:`validate_template` raises the first.
    """
    problems: list[TemplateDefinitionError] = []
    if not isinstance(body, str) or not body.strip():
        problems.append(TemplateDefinitionError("템플릿 본문이 비어 있습니다."))
        return problems
    if not isinstance(variables, Mapping):
        problems.append(
            TemplateDefinitionError("변수 선언은 {이름: 타입} 형식의 사전이어야 합니다.")
        )
        return problems
    try:
        used = _parse(body).names
    except MalformedPlaceholder as exc:
        problems.append(exc)
        used = tuple(_PLACEHOLDER.findall(body))
    for name, type_code in variables.items():
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(
                TemplateDefinitionError(
                    f"변수 이름 '{name}'은(는) 쓸 수 없습니다 (영문·한글·숫자·밑줄, 숫자로 시작 불가).",
                    variable=str(name),
                )
            )
        elif not isinstance(type_code, str) or type_code not in VARIABLE_TYPES:
            problems.append(_unknown_type(name, type_code))
    for name in used:
        if name not in variables:
            problems.append(
                UndeclaredPlaceholder(
                    f"본문의 변수 '{{{{ {name} }}}}'이(가) 선언되지 않았습니다. 변수 목록에 타입과 함께 추가하세요.",
                    variable=name,
                )
            )
    for name in variables:
        if name not in used:
            problems.append(
                UnusedVariable(
                    f"선언된 변수 '{name}'이(가) 본문에서 쓰이지 않습니다. 본문에 '{{{{ {name} }}}}'를 넣거나 선언에서 빼세요.",
                    variable=str(name),
                )
            )
    return problems


def validate_template(body: str, variables: Mapping[str, str]) -> None:
    """Raise the first TemplateDefinitionError of (body, variables); used when saving a version."""
    problems = template_problems(body, variables)
    if problems:
        raise problems[0]


@lru_cache(maxsize=4096)
def _compile(body: str, declared: tuple[tuple[str, str], ...]) -> _Compiled:
    variables = dict(declared)
    validate_template(body, variables)
    parsed = _parse(body)
    literals = parsed.parts[0::2]
    slots = tuple((name, FORMATTERS[variables[name]]) for name in parsed.parts[1::2])
    return _Compiled(literals, slots)


# --- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    length: int  # characters
    byte_length: int  # CP949 bytes, as Korean carriers count
    length_class: LengthClass
    within_alimtalk_limit: bool  # <= 1,000 characters
    unsupported_chars: tuple[str, ...] = ()  # not in CP949: may show as '?' on phones

    @property
    def length_class_label(self) -> str:
        return LENGTH_CLASS_LABELS[self.length_class]


def sms_byte_length(text: str) -> tuple[int, tuple[str, ...]]:
    """(bytes as carriers count them, characters CP949 cannot encode)."""
    if text.isascii():
        return len(text), ()
    try:
        return len(text.encode("cp949")), ()
    except UnicodeEncodeError:
        pass
    total = 0
    unsupported: list[str] = []
    for ch in text:
        if ch.isascii():
            total += 1
            continue
        try:
            total += len(ch.encode("cp949"))
        except UnicodeEncodeError:
            total += 2
            if ch not in unsupported:
                unsupported.append(ch)
    return total, tuple(unsupported)


def length_class_for(byte_length: int) -> LengthClass:
    if byte_length <= SMS_MAX_BYTES:
        return LengthClass.SMS
    if byte_length <= LMS_MAX_BYTES:
        return LengthClass.LMS
    return LengthClass.TOO_LONG


def measure(text: str) -> Rendered:
    """Length facts of an already rendered text (also used for stored message bodies)."""
    byte_length, unsupported = sms_byte_length(text)
    length = len(text)
    return Rendered(
        text=text,
        length=length,
        byte_length=byte_length,
        length_class=length_class_for(byte_length),
        within_alimtalk_limit=length <= ALIMTALK_MAX_CHARS,
        unsupported_chars=unsupported,
    )


_MISSING = object()


def render_sms(*, body: str, variables: Mapping[str, str], context: Mapping[str, Any]) -> Rendered:
    """Render ``body`` with ``context``, strictly. Raises a RenderError naming the variable.

    ``None`` counts as missing: a message must never say "None" to a customer.
    """
    try:
        compiled = _compile(body, tuple(variables.items()))
    except TypeError:  # an unhashable type code: let the validator name the variable
        validate_template(body, variables)
        raise
    for key in context:
        if key not in variables:
            raise UnknownVariable(
                f"템플릿에 선언되지 않은 변수 '{key}'의 값이 주어졌습니다.", variable=str(key)
            )
    literals = compiled.literals
    out = [literals[0]]
    for i, (name, formatter) in enumerate(compiled.slots, start=1):
        value = context.get(name, _MISSING)
        if value is _MISSING or value is None:
            raise MissingVariable(f"변수 '{name}'의 값이 없습니다.", variable=name)
        out.append(formatter(name, value))
        out.append(literals[i])
    return measure("".join(out))
