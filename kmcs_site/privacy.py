"""Personal data on screens, in exports and in URLs: the one privacy module every door uses.

Who may see what is ``kmcs_site.permissions``; *how* a value is hidden is here, once, so the
admin lists, the workspace, the auditor's history, the API, the outbox and the fines screens
mask a number the same way:

- phone numbers: ``010-****-5678`` (:func:`mask_phone`), also inside free text
  (:func:`mask_text`);
- account numbers: only the last four digits (:func:`mask_account_digits`; the bank's name is
  added by ``fines.accounts.mask_account``); stored ciphertext and search hashes never shown
  (:data:`HIDDEN`);
- SMS bodies: the values of the template's personal variable types masked
  (:func:`mask_body`), what the API and the outbox show;
- history values and JSON (facts, proposals): phones by field name and in text, account
  fields hidden (:func:`mask_json`, :func:`is_phone_name`, :func:`is_secret_name`);
- a full number someone searches for never travels in a URL: the form is a POST and the
  results' URL carries :func:`search_token`, a keyed hash (HMAC-SHA256, key from settings)
  that only the searching session can map back (:func:`remember_search`,
  :func:`recall_search`).

Every role sees cases masked (a full phone number only through the logged unmask,
``cases.case.unmask``), so nothing here takes a user: a screen that shows a full number calls
the logged service, never a flag of this module.

Pure functions apart from the settings key and the session helpers; masking never raises (it
runs in every list).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from templates_app.phones import phone_digits, split_phone

#: What a sealed value (ciphertext, a search hash) shows as.
HIDDEN = "(비공개)"

# --- phone numbers -------------------------------------------------------------------------------

#: Korean mobiles and landlines as they appear in free text (SMS bodies, Agit posts, facts).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(0\d{1,2})[-. ]?(\d{3,4})[-. ]?(\d{4})(?!\d)")


def mask_phone(value: str | None) -> str:
    """``010-0000-5678`` -> ``010-****-5678``: the middle digits hidden, everywhere a number shows.

    Numbers that are not recognisable keep only their last four digits (``****5678``), and
    anything without digits becomes "" — masking must never fail, it runs in every list.
    """
    if not value:
        return ""
    digits = phone_digits(value) or "".join(
        ch for ch in str(value) if ch.isascii() and ch.isdigit()
    )
    if not digits:
        return ""
    parts = split_phone(digits)
    if parts:
        head, middle, last = parts
        return f"{head}-{'*' * len(middle)}-{last}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(text: str) -> str:
    """Every phone-number-looking run in ``text`` masked (010-****-5678)."""
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def mask_email(value: str | None) -> str:
    """``partner-ops@hipark.example`` -> ``pa*********@hipark.example``: the domain (which
    partner) stays, the mailbox keeps its first two characters (issue 16: case mails shown to
    roles that see masked data, and the timeline). Never raises; no ``@`` -> all stars."""
    if not value:
        return ""
    local, at, domain = str(value).strip().rpartition("@")
    if not at:
        return "*" * len(domain)
    keep = 2 if len(local) > 3 else 1
    return f"{local[:keep]}{'*' * max(len(local) - keep, 1)}@{domain}"


# --- account numbers ----------------------------------------------------------------------------

#: Digit groups (with - or space inside) of 6 digits or more: phone, account or ID numbers.
LONG_NUMBER = re.compile(r"\d[\d\- ]{4,}\d")


def mask_account_digits(*, last4: str, length: int | None = None) -> str:
    """``****1234``: only the last four digits of an account are ever shown without unmasking."""
    stars = "*" * max((length or 8) - len(last4), 4)
    return f"{stars}{last4}"


def mask_numbers(text: str) -> str:
    """Every long digit group in ``text`` (account, phone, ID) reduced to its last four digits
    (phones keep their area code: ``010-****-5678``)."""
    return LONG_NUMBER.sub(lambda match: mask_phone(match.group(0)) or "****", text)


# --- SMS bodies -----------------------------------------------------------------------------------

# The placeholder syntax of templates_app.render (double braces around an identifier).
_PLACEHOLDER = re.compile(r"\{\{[ \t]*([^\W\d]\w*)[ \t]*\}\}")

#: Variable types whose values identify nobody (``phone`` is masked when it is rendered).
KEEP_TYPES = frozenset({"int", "amount", "date_md", "date_ymd", "datetime", "url", "phone"})


def mask_value(value: str, type_code: str) -> str:
    """One rendered value masked by its declared type: ``text`` keeps its first character,
    ``call_id`` its last four digits, the types of :data:`KEEP_TYPES` stay as they are."""
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


def mask_body(text: str, template_body: str | None, variables: Mapping[str, str] | None) -> str:
    """An SMS body with the values of personal variable types masked.

    A message stores only its rendered text; its template version says where the values went
    (the literal parts between ``{{ placeholders }}``) and what type each value has, so the
    values are found again and masked by type (:func:`mask_value`). When the text cannot be
    matched with its version (a row written by other means), every long digit group is masked
    (:func:`mask_numbers`): free text cannot be recognised without the template.
    """
    if not text:
        return text
    if template_body is None:
        return mask_numbers(text)
    compiled = _matcher(template_body)
    if compiled is None:  # no variables: the text is the template's own words
        return text if text == template_body else mask_numbers(text)
    pattern, names = compiled
    match = pattern.match(text)
    if match is None:
        return mask_numbers(text)
    out = []
    last = 0
    for index, name in enumerate(names, start=1):
        start, end = match.span(index)
        out.append(text[last:start])
        out.append(mask_value(text[start:end], (variables or {}).get(name, "text")))
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_message_body(message) -> str:
    """:func:`mask_body` of an ``OutboundMessage`` with its own template version."""
    version = message.template_version
    return mask_body(message.body, version.body, version.variables)


# --- history values and JSON ----------------------------------------------------------------------


def is_phone_name(name: str) -> bool:
    return "phone" in name or name == "recipient"


def is_secret_name(name: str) -> bool:
    """Account numbers and their search hashes (the masked/last-4 forms are fine)."""
    return name in {"account", "account_number", "account_hash"} or name.endswith("_account")


def mask_json(value: Any, key: str = "") -> Any:
    """A JSON value (facts, a proposal) with phones masked and account fields hidden."""
    if isinstance(value, dict):
        return {k: mask_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key) for v in value]
    if isinstance(value, str):
        if is_secret_name(key):
            return HIDDEN
        if is_phone_name(key):
            return mask_phone(value)
        return mask_text(value)
    return value


# --- full numbers out of URLs ---------------------------------------------------------------------

#: Session key of the searches a user ran by POST (token -> value); the newest few are kept.
_SEARCH_SESSION_KEY = "kmcs_privacy_searches"
_SEARCHES_KEPT = 10


def _search_key() -> bytes:
    """``KMCS_SEARCH_HMAC_KEY``, or (unset) a key derived from ``SECRET_KEY``: a search token
    lives as long as the session that made it, so rotating the key costs nothing."""
    from django.conf import settings

    configured = getattr(settings, "KMCS_SEARCH_HMAC_KEY", "") or ""
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"kmcs-search-hmac", hashlib.sha256).digest()


def search_token(value: str, *, purpose: str, scope: str = "") -> str:
    """HMAC-SHA256 (hex) of ``value`` for ``purpose`` (and ``scope``, e.g. a session key).

    What a URL carries instead of a full phone or account number: an access log holding it
    cannot be turned back into the number (phone numbers are few enough to be guessed from an
    unkeyed hash), and with a ``scope`` the same number gives different tokens in different
    sessions, so the logs do not even tell that two people looked for the same customer.
    """
    message = f"{purpose}\x00{scope}\x00{value}".encode()
    return hmac.new(_search_key(), message, hashlib.sha256).hexdigest()


def _session_scope(request) -> str:
    session = request.session
    if session.session_key is None:
        session.save()
    return session.session_key or ""


def remember_search(request, value: str, *, purpose: str) -> str:
    """Keep ``value`` (a number searched by POST) in the user's session and return the token
    the results' URL carries instead of it."""
    token = search_token(value, purpose=purpose, scope=_session_scope(request))
    searches = dict(request.session.get(_SEARCH_SESSION_KEY) or {})
    searches.pop(token, None)
    searches[token] = [purpose, value]
    while len(searches) > _SEARCHES_KEPT:
        searches.pop(next(iter(searches)))
    request.session[_SEARCH_SESSION_KEY] = searches
    return token


def recall_search(request, token: str, *, purpose: str) -> str | None:
    """The value behind ``token`` if this session searched it for ``purpose``, else None (a
    token copied from a log or another user's screen finds nothing)."""
    if not token:
        return None
    entry = (request.session.get(_SEARCH_SESSION_KEY) or {}).get(token)
    if not entry or entry[0] != purpose:
        return None
    value = entry[1]
    expected = search_token(value, purpose=purpose, scope=request.session.session_key or "")
    return value if hmac.compare_digest(expected, token) else None
