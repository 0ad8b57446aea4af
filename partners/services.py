"""Writes of the partners app. Every change to partners, sites, channels, contacts and routes
goes through here, from code and from the admin alike, so there is one set of rules:

- ``full_clean()`` (field validators and each model's ``clean``: e-mail channels need
  recipients, addresses are placeholders, a site route belongs to the site's operator...);
- for routes, no other *active* route may answer the same question in an overlapping period
  (:func:`route_check_overlap`, backed by DB unique constraints for the cases a database can
  express: two open-ended, or two same-day-start active routes for one key);
- partner codes never change once created (they cross the API);
- the acting user is recorded on the history row (``_history_user``), in the same transaction.

Nothing partial is saved: each function is one transaction and raises ``ValidationError`` (Korean
messages) before writing anything.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .models import Channel, Contact, Partner, Route, Site
from .selectors import route_overlapping

M = TypeVar("M", bound=models.Model)


def _assign(instance: M, fields: dict[str, Any]) -> M:
    concrete = {f.name for f in instance._meta.concrete_fields} | {
        f.attname for f in instance._meta.concrete_fields
    }
    unknown = set(fields) - concrete
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no field(s) {sorted(unknown)}")
    for name, value in fields.items():
        setattr(instance, name, value)
    return instance


def route_check_overlap(route: Route) -> None:
    """Refuse a route that would overlap an active route for the same key, naming it."""
    other = route_overlapping(route).first()
    if other is not None:
        raise ValidationError(
            _(
                "같은 조건의 사용 중인 경로와 적용 기간이 겹칩니다: %(other)s. 기존 경로를 "
                "수정하거나 사용 중지·종료일을 지정한 뒤 다시 저장하세요."
            )
            % {"other": other},
            code="route_overlap",
        )


def _check_partner_code_unchanged(partner: Partner) -> None:
    if partner.pk is None:
        return
    stored = Partner.objects.filter(pk=partner.pk).values_list("code", flat=True).first()
    if stored is not None and stored != partner.code:
        raise ValidationError(
            {
                "code": _("운영사 코드(%(code)s)는 API와 데이터에서 쓰이므로 바꿀 수 없습니다.")
                % {"code": stored}
            },
            code="code_immutable",
        )


#: Rules beyond full_clean(), per model.
_EXTRA_CHECKS = {
    Route: (route_check_overlap,),
    Partner: (_check_partner_code_unchanged,),
}


def validate_extra(instance: models.Model) -> None:
    """The rules beyond the model's own validation (route overlap, immutable codes)."""
    for check in _EXTRA_CHECKS.get(type(instance), ()):
        check(instance)


def validate(instance: models.Model) -> None:
    """Every rule a save must pass. Field and ``clean()`` errors first; then the extra checks,
    before the DB constraints' generic messages, so an overlap names the other route."""
    instance.full_clean(validate_constraints=False)
    validate_extra(instance)
    instance.validate_constraints()


class RouteConflict(ValidationError):
    """Someone saved the route after this editor loaded it: their change is kept, this one is
    refused (optimistic lock on ``Route.version``)."""


def route_claim_version(route: Route) -> None:
    """Move the stored version from the one the editor loaded (``route.version``) to the next.

    One conditional UPDATE: of two editors who loaded the same version exactly one moves it;
    the other gets :class:`RouteConflict` and saves nothing (the caller's transaction rolls
    back). Works the same on PostgreSQL (row lock) and SQLite (database write lock).
    """
    loaded = route.version
    moved = Route.objects.filter(pk=route.pk, version=loaded).update(version=loaded + 1)
    if not moved:
        current = Route.objects.filter(pk=route.pk).values_list("version", flat=True).first()
        raise RouteConflict(
            _(
                "다른 사용자가 이 경로를 먼저 수정했습니다 (불러온 버전 %(loaded)s, 현재 버전 "
                "%(current)s). 새로 고쳐 최신 내용을 확인한 뒤 다시 저장하세요. 입력한 내용은 "
                "저장되지 않았습니다."
            )
            % {"loaded": loaded, "current": current if current is not None else "-"},
            code="route_conflict",
        )
    route.version = loaded + 1


@transaction.atomic
def record_save(*, instance: M, actor) -> M:
    """Validate and save ``instance`` with ``actor`` on its history row. The create/update
    functions below and the admin (which builds the instance from its form) all end here.

    An existing route is saved only if nobody saved it since it was loaded
    (:func:`route_claim_version`; the admin form carries the loaded version)."""
    validate(instance)
    locked = isinstance(instance, Route) and instance.pk is not None
    loaded_version = instance.version if locked else None
    if locked:
        route_claim_version(instance)
    instance._history_user = actor
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if locked:
            instance.version = loaded_version  # rolled back with the transaction
        # A concurrent save slipped past validate(); the DB constraint refused it.
        raise ValidationError(
            _("같은 조건의 데이터가 동시에 저장되었습니다. 새로 고친 뒤 다시 확인하세요.")
        ) from exc
    return instance


@transaction.atomic
def record_delete(*, instance: models.Model, actor) -> None:
    """Delete with the actor on the history row. Seeded rows deleted here are not re-created by
    bootstrap (it sees them in history); deactivating (``is_active``) is the usual way."""
    instance._history_user = actor
    instance.delete()


# --- partners ---------------------------------------------------------------------------------


def partner_create(*, actor, **fields) -> Partner:
    return record_save(instance=Partner(**fields), actor=actor)


def partner_update(*, partner: Partner, actor, **fields) -> Partner:
    return record_save(instance=_assign(partner, fields), actor=actor)


# --- sites ------------------------------------------------------------------------------------


def site_create(*, actor, **fields) -> Site:
    return record_save(instance=Site(**fields), actor=actor)


def site_update(*, site: Site, actor, **fields) -> Site:
    return record_save(instance=_assign(site, fields), actor=actor)


# --- channels ---------------------------------------------------------------------------------


def channel_create(*, actor, **fields) -> Channel:
    """Create a channel. An e-mail channel without any recipient is refused (``Channel.clean``)."""
    return record_save(instance=Channel(**fields), actor=actor)


def channel_update(*, channel: Channel, actor, **fields) -> Channel:
    return record_save(instance=_assign(channel, fields), actor=actor)


# --- contacts ---------------------------------------------------------------------------------


def contact_create(*, actor, **fields) -> Contact:
    return record_save(instance=Contact(**fields), actor=actor)


def contact_update(*, contact: Contact, actor, **fields) -> Contact:
    return record_save(instance=_assign(contact, fields), actor=actor)


# --- routes -----------------------------------------------------------------------------------


def route_create(*, actor, **fields) -> Route:
    """Create a route; refused (nothing saved) if it overlaps an active route for the same key."""
    return record_save(instance=Route(**fields), actor=actor)


def route_update(*, route: Route, actor, **fields) -> Route:
    """Change a route loaded earlier. Refused with :class:`RouteConflict` (nothing saved) if it
    was saved by someone else since ``route`` was read: reload it and apply the change again."""
    if "version" in fields:
        raise TypeError("version is managed by route_update (optimistic lock), not a field to set")
    return record_save(instance=_assign(route, fields), actor=actor)


def route_delete(*, route: Route, actor) -> None:
    record_delete(instance=route, actor=actor)
