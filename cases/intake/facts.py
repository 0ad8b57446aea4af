"""Facts as the doors (API, importer) accept them: the playbook's own ``FACTS``, plus the rule
that a field the playbook does not know is refused instead of silently dropped (a typo in a
field name must not turn into a decision made without that fact)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import ModuleType
from typing import Any

from rest_framework import serializers

UNKNOWN_FIELD = "알 수 없는 항목입니다: 이 플레이북의 사실관계에 없는 필드입니다."


def camel(code: str) -> str:
    """``driver_nonride_cancel`` -> ``DriverNonrideCancel`` (schema component names)."""
    return "".join(part.capitalize() for part in code.split("_"))


@lru_cache(maxsize=64)
def fact_names(module: ModuleType) -> frozenset[str]:
    """The field names of ``module.FACTS`` (one deep copy of the fields per playbook, cached)."""
    return frozenset(module.FACTS().fields)


def unknown_fact_errors(module: ModuleType, facts: Any) -> dict[str, list[str]]:
    """``{field: [message]}`` for every key of ``facts`` that the playbook does not declare."""
    if not isinstance(facts, Mapping):
        return {}
    known = fact_names(module)
    return {str(name): [UNKNOWN_FIELD] for name in facts if name not in known}


@lru_cache(maxsize=64)
def facts_component(module: ModuleType) -> type[serializers.Serializer]:
    """``module.FACTS`` under a unique name (``DriverNonrideCancelFacts``) for the OpenAPI schema.

    Every playbook names its serializer ``Facts``; the schema needs one component per playbook,
    described with the seed's wording (the module docstring, field labels and help texts).
    """
    doc = (module.__doc__ or "").strip()
    return type(
        f"{camel(module.CODE)}Facts",
        (module.FACTS,),
        {"__doc__": doc or f"{module.CODE} 사실관계", "__module__": __name__},
    )


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error detail -> {"field.sub": [messages]}; list indexes become ``field.0``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors" and prefix:
                name = prefix
            for field, messages in flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, (list, tuple)):
        for index, item in enumerate(detail):
            if isinstance(item, (Mapping, list, tuple)):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in flatten(item, name).items():
                    out.setdefault(field, []).extend(messages)
            else:
                out.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out
