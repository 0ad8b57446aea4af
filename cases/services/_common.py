"""Plumbing every cases service shares: permission checks, locking, audited saves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.access import forget_work_permission
from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.models import Case
from kmcs_site.permissions import user_can


def require(actor, action: str, obj: Any = None, message: str | None = None) -> None:
    """Refuse (ActionNotAllowed, Korean message) unless kmcs_site.permissions allows it."""
    if not user_can(actor, action, obj):
        raise ActionNotAllowed(message)


def moment(at):
    return at or timezone.now()


def lock_case(case: Case) -> Case:
    """The case row, locked for this transaction (PostgreSQL; SQLite serialises writers).

    Services work on the locked copy, so two agents pressing "decide" at once run one after the
    other and the second sees the first's status.
    """
    return Case.objects.select_for_update().get(pk=case.pk)


def mirror(target: Case, source: Case) -> Case:
    """Copy ``source``'s field values onto the caller's instance so it is not left stale (and
    drop the work-permission answers it kept: the assignment may have moved)."""
    if target is not source:
        for field in Case._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
    forget_work_permission(target)
    return target


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF / Django error structures -> {field: [Korean messages]} (nested fields dotted)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten_errors(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, (list, tuple)):
        for item in detail:
            if isinstance(item, (Mapping, list, tuple)):
                for k, v in flatten_errors(item, prefix).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def audited_save(instance, actor, *, reason: str = "", clean: bool = True, **clean_kwargs) -> None:
    """full_clean, then save with the acting user (and why) on the simple-history row."""
    if clean:
        try:
            instance.full_clean(**clean_kwargs)
        except ValidationError as exc:
            raise FactsInvalid(flatten_errors(exc.message_dict)) from exc
    instance._history_user = actor
    if reason:
        instance._change_reason = reason
    instance.save()
