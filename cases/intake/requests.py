"""An intake request (the API body, a JSONL line or a CSV row) as ``case_create`` arguments.

One shape for every door::

    {"playbook", "channel", "facts", "customer": {"phone"}, "driver": {"id", "phone"},
     "references": {"call_id", ...}, "idempotency_key"}

and one way of naming its errors: a fact as ``facts.<field>``, a phone as ``customer.phone`` /
``driver.phone``, the rest by their own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cases.intake.facts import fact_names

#: case_create's error keys -> the request's field names.
SERVICE_FIELD_NAMES = {"customer_phone": "customer.phone", "driver_phone": "driver.phone"}


def case_create_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated request -> keyword arguments of ``cases.services.case_create`` (no actor)."""
    customer = data.get("customer") or {}
    driver = data.get("driver") or {}
    references = {k: v for k, v in (data.get("references") or {}).items() if v not in (None, "")}
    return {
        "playbook": data["playbook"],
        "channel": data["channel"],
        "facts": data.get("facts") or {},
        "customer_phone": customer.get("phone") or None,
        "driver_id": driver.get("id") or None,
        "driver_phone": driver.get("phone") or None,
        "references": references,
        "idempotency_key": data.get("idempotency_key") or None,
    }


def request_errors(errors: Mapping[str, list[str]], module=None) -> dict[str, list[str]]:
    """case_create's errors renamed to the request's fields (facts prefixed)."""
    facts = fact_names(module) if module is not None else frozenset()
    out: dict[str, list[str]] = {}
    for name, messages in errors.items():
        head = name.split(".", 1)[0]
        if name in SERVICE_FIELD_NAMES:
            key = SERVICE_FIELD_NAMES[name]
        elif head in facts and name != "playbook":
            key = f"facts.{name}"
        else:
            key = name
        out.setdefault(key, []).extend(messages)
    return out
