"""Message bodies as the API shows them: the template's own words, the personal values masked.

An outbound message stores only its rendered text. Its template version says where the values
went (the literal parts between ``{{ placeholders }}``) and what type each value has, so the
values can be found again and masked by type:

- ``text`` (names, addresses, lots, car numbers...) -> first character, the rest ``*``;
- ``phone`` is already masked when rendered; ``call_id`` keeps its last four digits;
- amounts, numbers, dates and links stay as they are (they identify nobody).

When the text cannot be matched with its version (it always should; a row written by other
means would not), every run of digits long enough to be a phone, account or ID number is
masked: free text cannot be recognised without the template, which is why the version is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from templates_app.phones import mask_phone

# The placeholder syntax of templates_app.render (double braces around an identifier).
_PLACEHOLDER = re.compile(r"\{\{[ \t]*([^\W\d]\w*)[ \t]*\}\}")
# Fallback: digit groups (with - or space inside) of 6 digits or more.
_LONG_NUMBER = re.compile(r"\d[\d\- ]{4,}\d")

KEEP_TYPES = frozenset({"int", "amount", "date_md", "date_ymd", "datetime", "url", "phone"})


def mask_value(value: str, type_code: str) -> str:
    if type_code in KEEP_TYPES or not value:
        return value
    if type_code == "call_id":
        return "*" * max(len(value) - 4, 0) + value[-4:]
    return value[0] + "*" * (len(value) - 1)


@lru_cache(maxsize=1024)
def _matcher(body: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    parts = _PLACEHOLDER.split(body)
    if len(parts) == 1:
        return None
    literals, names = parts[0::2], tuple(parts[1::2])
    pattern = re.escape(literals[0])
    for literal in literals[1:]:
        pattern += "(.*?)" + re.escape(literal)
    return re.compile(f"^{pattern}$", re.DOTALL), names


def _mask_numbers(text: str) -> str:
    return _LONG_NUMBER.sub(lambda match: mask_phone(match.group(0)) or "****", text)


def mask_body(text: str, template_body: str | None, variables: Mapping[str, str] | None) -> str:
    """``text`` with the values of personal variable types masked (see module docstring)."""
    if not text:
        return text
    if template_body is None:
        return _mask_numbers(text)
    compiled = _matcher(template_body)
    if compiled is None:  # no variables: the text is the template's own words
        return text if text == template_body else _mask_numbers(text)
    pattern, names = compiled
    match = pattern.match(text)
    if match is None:
        return _mask_numbers(text)
    out = []
    last = 0
    for index, name in enumerate(names, start=1):
        start, end = match.span(index)
        out.append(text[last:start])
        out.append(mask_value(text[start:end], (variables or {}).get(name, "text")))
        last = end
    out.append(text[last:])
    return "".join(out)
