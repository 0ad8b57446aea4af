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

from .models import (
    Channel,
    ChannelKind,
    ChannelRecipient,
    Contact,
    Partner,
    RecipientKind,
    Route,
    RouteMention,
    Site,
)
from .selectors import contact_overlapping, route_overlapping

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


def contact_check_overlap(contact: Contact) -> None:
    """Refuse a contact whose address or handle is already in force in an overlapping period
    (seed 001: a person's handle names one person at a time; a change of person is a new row
    with a later start and an end date on the old one)."""
    other = contact_overlapping(contact).first()
    if other is not None:
        period = f"{other.effective_from or '처음'} ~ {other.effective_to or '계속'}"
        raise ValidationError(
            {
                "effective_from": _(
                    "같은 이메일·멘션의 연락처 '%(other)s'(적용 %(period)s)와 적용 기간이 겹칩니다. "
                    "기존 연락처에 종료일을 넣은 뒤 다시 저장하세요."
                )
                % {"other": other, "period": period}
            },
            code="contact_overlap",
        )


#: Rules beyond full_clean(), per model.
_EXTRA_CHECKS = {
    Route: (route_check_overlap,),
    Partner: (_check_partner_code_unchanged,),
    Contact: (contact_check_overlap,),
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


def check_recipients(kind: str, to: list, cc: list) -> None:
    """An e-mail channel nobody receives silently loses the customer's request; any other kind
    has no To/Cc (it posts, or points at a board/sheet/site)."""
    if kind == ChannelKind.EMAIL and not (to or cc):
        raise ValidationError(
            _("E-mail 채널에는 수신(To) 또는 참조(Cc) 담당자가 한 명 이상 있어야 합니다."),
            code="email_without_recipients",
        )
    if kind != ChannelKind.EMAIL and (to or cc):
        raise ValidationError(
            _("수신·참조 담당자는 E-mail 채널에만 지정합니다."), code="recipients_on_non_email"
        )
    for contact in [*to, *cc]:
        if not contact.email:
            raise ValidationError(
                _("담당자 '%(contact)s'에게 이메일 주소가 없습니다.") % {"contact": contact},
                code="recipient_without_email",
            )


@transaction.atomic
def channel_set_recipients(*, channel: Channel, actor, to=(), cc=()) -> Channel:
    """Replace the channel's To/Cc by these contact rows (in this order), each change in the
    history with ``actor``. Refused, nothing saved, if the result breaks :func:`check_recipients`."""
    to, cc = list(to), list(cc)
    check_recipients(channel.kind, to, cc)
    wanted = {(RecipientKind.TO, c.pk): n for n, c in enumerate(to)}
    wanted |= {(RecipientKind.CC, c.pk): n for n, c in enumerate(cc)}
    for link in list(channel.recipient_links.all()):
        key = (link.kind, link.contact_id)
        if key not in wanted:
            link._history_user = actor
            link.delete()
        elif link.position != wanted[key]:
            link.position = wanted.pop(key)
            link._history_user = actor
            link.save()
        else:
            wanted.pop(key)
    for (kind, contact_id), position in wanted.items():
        link = ChannelRecipient(
            channel=channel, contact_id=contact_id, kind=kind, position=position
        )
        link._history_user = actor
        link.save()
    if hasattr(channel, "_prefetched_objects_cache"):
        channel._prefetched_objects_cache.pop("recipient_links", None)
    return channel


@transaction.atomic
def channel_create(*, actor, recipients_to=(), recipients_cc=(), **fields) -> Channel:
    """Create a channel with its To/Cc contacts. An e-mail channel without any recipient is
    refused, nothing saved."""
    check_recipients(fields.get("kind", ""), list(recipients_to), list(recipients_cc))
    channel = record_save(instance=Channel(**fields), actor=actor)
    return channel_set_recipients(channel=channel, actor=actor, to=recipients_to, cc=recipients_cc)


@transaction.atomic
def channel_update(*, channel: Channel, actor, recipients_to=None, recipients_cc=None, **fields):
    """Change a channel; ``recipients_to`` / ``recipients_cc`` (contact rows), when given,
    replace its To/Cc."""
    channel = record_save(instance=_assign(channel, fields), actor=actor)
    links = list(channel.recipient_links.select_related("contact"))
    to = recipients_to
    cc = recipients_cc
    if to is None:
        to = [link.contact for link in links if link.kind == RecipientKind.TO]
    if cc is None:
        cc = [link.contact for link in links if link.kind == RecipientKind.CC]
    return channel_set_recipients(channel=channel, actor=actor, to=to, cc=cc)


@transaction.atomic
def route_set_mentions(*, route: Route, actor, contacts=()) -> Route:
    """Replace the route's @mentions by these contact rows (in order), with history."""
    contacts = list(contacts)
    for contact in contacts:
        if not contact.mention:
            raise ValidationError(
                _("담당자 '%(contact)s'에게 아지트 멘션이 없습니다.") % {"contact": contact},
                code="mention_missing",
            )
    wanted = {c.pk: n for n, c in enumerate(contacts)}
    for link in list(route.mention_links.all()):
        if link.contact_id not in wanted:
            link._history_user = actor
            link.delete()
        else:
            position = wanted.pop(link.contact_id)
            if link.position != position:
                link.position = position
                link._history_user = actor
                link.save()
    for contact_id, position in wanted.items():
        link = RouteMention(route=route, contact_id=contact_id, position=position)
        link._history_user = actor
        link.save()
    if hasattr(route, "_prefetched_objects_cache"):
        route._prefetched_objects_cache.pop("mention_links", None)
    return route


# --- contacts ---------------------------------------------------------------------------------


def contact_create(*, actor, **fields) -> Contact:
    return record_save(instance=Contact(**fields), actor=actor)


def contact_update(*, contact: Contact, actor, **fields) -> Contact:
    return record_save(instance=_assign(contact, fields), actor=actor)


# --- routes -----------------------------------------------------------------------------------


@transaction.atomic
def route_create(*, actor, mention_contacts=(), **fields) -> Route:
    """Create a route; refused (nothing saved) if it overlaps an active route for the same key."""
    route = record_save(instance=Route(**fields), actor=actor)
    if mention_contacts:
        route_set_mentions(route=route, actor=actor, contacts=mention_contacts)
    return route


def route_update(*, route: Route, actor, **fields) -> Route:
    """Change a route loaded earlier. Refused with :class:`RouteConflict` (nothing saved) if it
    was saved by someone else since ``route`` was read: reload it and apply the change again."""
    if "version" in fields:
        raise TypeError("version is managed by route_update (optimistic lock), not a field to set")
    return record_save(instance=_assign(route, fields), actor=actor)


def route_delete(*, route: Route, actor) -> None:
    record_delete(instance=route, actor=actor)
