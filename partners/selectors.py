"""Reads of the partners app: the lists screens show and ``route_for``, the routing question.

``route_for`` answers seed 001's tables: given a request kind and what is known about the lot,
which single active route applies? The order of precedence:

1. a route for the very site (e.g. 63빌딩's refund policy);
2. a route of the site's *routing* partner (``Site.routes_like``, e.g. 케이트윈타워 -> 아마노) or
   of the partner asked about;
3. the "그 외" partner's routes, when the partner has no route of this kind at all, active or
   not (the seed's 그 외 row means "every operator not listed in this table"; unknown partner
   codes land here);
4. common routes (``partner`` empty, "공통").

Within the first level that has a match the most specific route wins (the one that names the
most of site kind / integration / topic / customer agrees). If the answer depends on something
the caller did not say (e.g. 케이엠파크 without the site kind), or two routes are equally
specific, the caller gets :class:`AmbiguousRoute` instead of a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from cases.playbooks.base import RouteInfo

from .exceptions import AmbiguousRoute, RouteError, RouteNotFound
from .models import (
    Channel,
    ChannelRecipient,
    Contact,
    Integration,
    LotInfoTopic,
    Partner,
    RequestKind,
    Route,
    RouteMention,
    Site,
    SiteKindOption,
)

OTHER_PARTNER_CODE = "other"

#: The optional criteria a route may name, with their Korean labels for messages.
CRITERIA = {
    "site_kind": "현장 구분",
    "integration": "연동 구분",
    "topic": "정보수정 항목",
    "customer_agrees": "고객 수긍 여부",
}

#: What a route is compared with but does not name as a key (a bound, not a value).
ASKED_ONLY = {"pass_month": "정기권 이용월"}

__all__ = [
    "AmbiguousRoute",
    "RouteError",
    "RouteNotFound",
    "channel_list",
    "contact_list",
    "contact_overlapping",
    "contacts_in_force",
    "partner_list",
    "route_for",
    "route_info",
    "route_info_for",
    "route_list",
    "route_overlapping",
    "site_list",
    "site_rule",
]


# --- lists -----------------------------------------------------------------------------------


#: The special sites seed 001 table 7 names, by the ``special_site`` fact's stable code ->
#: the Site row's seed key (which never changes; the row's name, partner, ``routes_like`` and
#: policy are what a lead edits).
SPECIAL_SITE_KEYS = {"building_63": "site.63building", "k_twin_tower": "site.ktwintower"}


def site_rule(code: str, at: dt.datetime | dt.date | None = None):
    """The special site with the fact code ``code`` as the playbooks see it (a
    ``cases.playbooks.site_rules.SiteRule``), or None when there is no active row: its partner,
    the partner it is routed like (``Site.routes_like``, 케이트윈타워 -> 아마노) and its policy.
    Read on every call: a lead's change applies to the next proposal without a restart."""
    from cases.playbooks.site_rules import SiteRule

    key = SPECIAL_SITE_KEYS.get(code)
    if key is None:
        return None
    site = (
        Site.objects.select_related("partner", "routes_like")
        .filter(seed_key=key, is_active=True)
        .first()
    )
    if site is None:
        return None
    return SiteRule(
        code=code,
        name=site.name,
        partner=site.partner.code,
        routes_like=site.routes_like.code if site.routes_like_id else "",
        special_policy=site.special_policy,
    )


def partner_names() -> dict[str, str]:
    """The 운영사 in use, code -> name, in the admin's order (issue 15 A.2: the playbooks' list
    of partners is these rows, not a constant). Read on every call: a partner a lead adds or
    retires in the admin is offered or refused on the next case without a restart."""
    rows = Partner.objects.filter(is_active=True).order_by("name", "code")
    return dict(rows.values_list("code", "name"))


def site_kind_names(*, active_only: bool = True) -> dict[str, str]:
    """The 현장 구분 rows, code -> name, in their order (issue 15 A.2: a list a lead keeps in the
    admin, not a constant). Read on every call."""
    rows = SiteKindOption.objects.all()
    if active_only:
        rows = rows.filter(is_active=True)
    return dict(rows.order_by("position", "code").values_list("code", "name"))


def with_site_kind_name(qs: QuerySet, field: str) -> QuerySet:
    """``qs`` with ``site_kind_name``: the name of the 현장 구분 its ``field`` codes, read in the
    same statement (a list shows names without a query per row; a renamed kind shows its new
    name on the next page)."""
    name = SiteKindOption.objects.filter(code=OuterRef(field)).values("name")[:1]
    return qs.annotate(site_kind_name=Subquery(name))


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.all()


def site_list() -> QuerySet[Site]:
    return with_site_kind_name(Site.objects.select_related("partner", "routes_like"), "kind")


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.select_related("partner").prefetch_related(
        Prefetch("recipient_links", queryset=ChannelRecipient.objects.select_related("contact"))
    )


def contact_list() -> QuerySet[Contact]:
    return Contact.objects.select_related("partner")


def contacts_in_force(at: dt.datetime | dt.date | None = None) -> QuerySet[Contact]:
    """Active contacts whose effective period contains the Seoul day of ``at`` (default today).

    Seed 001 "운영사별 담당자 25.5.1부터": on 2025-04-30 the operators' contacts are not yet in
    force, on 2025-05-01 they are."""
    day = _day(at)
    return contact_list().filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=day),
        Q(effective_to__isnull=True) | Q(effective_to__gte=day),
        is_active=True,
    )


def contact_overlapping(contact: Contact) -> QuerySet[Contact]:
    """Active contacts with the same address or handle whose period overlaps ``contact``'s."""
    if not contact.is_active or not (contact.email or contact.mention):
        return Contact.objects.none()
    same = Q()
    if contact.email:
        same |= Q(email=contact.email)
    if contact.mention:
        same |= Q(mention=contact.mention)
    qs = Contact.objects.filter(same, is_active=True)
    if contact.effective_to is not None:
        qs = qs.filter(Q(effective_from__isnull=True) | Q(effective_from__lte=contact.effective_to))
    if contact.effective_from is not None:
        qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=contact.effective_from))
    if contact.pk is not None:
        qs = qs.exclude(pk=contact.pk)
    return qs


def _links():
    contact_links = ChannelRecipient.objects.select_related("contact")
    return (
        Prefetch("channel__recipient_links", queryset=contact_links),
        Prefetch("alternative_channel__recipient_links", queryset=contact_links),
        Prefetch("mention_links", queryset=RouteMention.objects.select_related("contact")),
    )


def route_list(*, active: bool | None = None, links: bool = True) -> QuerySet[Route]:
    """Routes with what ``route_info`` reads; ``links=False`` (lists) skips the recipient and
    mention rows, which a list page does not show."""
    qs = Route.objects.select_related(
        "partner", "site", "site__partner", "channel", "alternative_channel"
    )
    qs = with_site_kind_name(qs, "site_kind")
    if links:
        qs = qs.prefetch_related(*_links())
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def route_overlapping(route: Route) -> QuerySet[Route]:
    """Active routes that answer the same question as ``route`` in an overlapping period."""
    if not route.is_active:
        return Route.objects.none()
    key = Q(
        request_kind=route.request_kind,
        site_kind=route.site_kind,
        integration=route.integration,
        topic=route.topic,
    )
    for name in ("partner_id", "site_id", "customer_agrees"):
        value = getattr(route, name)
        key &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    # Window overlap, inclusive, None = open: other.from <= self.until and self.from <= other.until
    if route.effective_until is not None:
        key &= Q(effective_from__isnull=True) | Q(effective_from__lte=route.effective_until)
    if route.effective_from is not None:
        key &= Q(effective_until__isnull=True) | Q(effective_until__gte=route.effective_from)
    qs = route_list(active=True).filter(key)
    if route.pk is not None:
        qs = qs.exclude(pk=route.pk)
    return qs


# --- route_for -------------------------------------------------------------------------------


def _day(at: dt.datetime | dt.date | None) -> dt.date:
    if at is None:
        return timezone.localdate()
    if isinstance(at, dt.datetime):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()
    return at


def _describe(query: dict[str, Any]) -> str:
    labels = {
        "request_kind": ("요청 유형", RequestKind),
        "partner": ("운영사", None),
        "site": ("현장", None),
        "site_kind": ("현장 구분", None),
        "integration": ("연동 구분", Integration),
        "topic": ("정보수정 항목", LotInfoTopic),
    }
    parts = []
    for name, (label, choices) in labels.items():
        value = query.get(name)
        if value in (None, ""):
            continue
        if choices is not None and value in choices.values:
            value = choices(value).label
        elif name == "site_kind":
            value = site_kind_names(active_only=False).get(value, value)
        parts.append(f"{label} {value}")
    if query.get("pass_month"):
        parts.append(f"정기권 이용월 {query['pass_month']:%Y-%m}")
    agrees = query.get("customer_agrees")
    if agrees is not None:
        parts.append("고객 수긍" if agrees else "고객 미수긍")
    return ", ".join(str(p) for p in parts)


def _match(route: Route, asked: dict[str, Any]) -> tuple[str, Any]:
    """("yes", specificity) | ("no", None) | ("unknown", {criteria the caller did not give})."""
    missing = set()
    score = 0
    for name in CRITERIA:
        wanted = getattr(route, name)
        if wanted is None or wanted == "":
            continue  # the route does not care
        have = asked.get(name)
        if have is None or have == "":
            missing.add(name)
            continue
        if have != wanted:
            return "no", None
        score += 1
    if route.pass_month_from is not None:
        month = asked.get("pass_month")
        if month is None:
            missing.add("pass_month")
        elif month < route.pass_month_from:
            return "no", None
    return ("unknown", missing) if missing else ("yes", score)


def _resolve_site(site: Site | str | None, query: dict[str, Any]) -> Site | None:
    if site is None or isinstance(site, Site):
        return site
    found = list(Site.objects.select_related("partner", "routes_like").filter(name=site)[:2])
    if len(found) != 1:
        problem = "없습니다" if not found else "여러 개입니다 (Site 객체로 지정하세요)"
        raise RouteError(f"현장 '{site}'이(가) {problem}.", query=query)
    return found[0]


def _resolve_partner(partner: Partner | str | None) -> tuple[Partner | None, bool]:
    """-> (partner or None, unknown) where unknown = a code that is not in the table."""
    if partner is None or isinstance(partner, Partner):
        return partner, False
    found = Partner.objects.filter(code=partner).first()
    return found, found is None


def route_for(
    *,
    request_kind: str,
    partner: Partner | str | None = None,
    site: Site | str | None = None,
    site_kind: str | None = None,
    integration: str | None = None,
    topic: str | None = None,
    customer_agrees: bool | None = None,
    pass_month: dt.date | None = None,
    at: dt.datetime | dt.date | None = None,
) -> Route:
    """The one active route for this question, or :class:`RouteNotFound` / :class:`AmbiguousRoute`.

    ``partner`` is a partner code or :class:`Partner`; a code not in the table is treated as
    "그 외". ``site`` (a :class:`Site` or its exact name) supplies the partner, site kind and
    integration when not given, and its ``routes_like`` partner (케이트윈타워 -> 아마노).
    ``at`` (default now, Asia/Seoul) excludes routes not yet or no longer in effect.
    ``pass_month`` (any day of the season pass's month) is what a route's ``pass_month_from``
    is compared with: seed 001 "직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)" is about the
    pass's month, not the day the customer asks. A route with ``pass_month_from`` asked without
    a pass month is ambiguous (the caller is told to give 정기권 이용월), never guessed.

    Routes with ``channel_via`` (중도해지 수긍 -> "운영사별 채널") get ``route.channel_route``:
    the partner's route of that kind whose channel is the one to use (None when it cannot be
    resolved, with the reason in ``route.channel_route_error``); :func:`route_info` uses it.
    """
    query = {
        "request_kind": request_kind,
        "partner": getattr(partner, "code", partner),
        "site": getattr(site, "name", site),
        "site_kind": site_kind,
        "integration": integration,
        "topic": topic,
        "customer_agrees": customer_agrees,
        "pass_month": pass_month.replace(day=1) if pass_month else None,
    }
    if request_kind not in RequestKind.values:
        raise RouteError(f"알 수 없는 요청 유형입니다: {request_kind}", query=query)
    for name, values in (
        ("site_kind", None),  # rows (SiteKindOption): asked only when the question names one
        ("integration", Integration.values),
        ("topic", LotInfoTopic.values),
    ):
        if query[name] in (None, ""):
            continue
        if values is None:
            values = SiteKindOption.objects.filter(code=query[name]).values_list("code", flat=True)
        if query[name] not in values:
            raise RouteError(f"{CRITERIA[name]} 값이 올바르지 않습니다: {query[name]}", query=query)

    site_obj = _resolve_site(site, query)
    partner_obj, unknown_partner = _resolve_partner(partner)
    if site_obj is not None:
        if partner_obj is not None and partner_obj.pk != site_obj.partner_id:
            raise RouteError(
                f"현장 '{site_obj}'의 운영사는 '{site_obj.partner}'입니다 ('{partner_obj}' 아님).",
                query=query,
            )
        partner_obj, unknown_partner = site_obj.partner, False
        site_kind = site_kind or site_obj.kind or None
        integration = integration or site_obj.integration or None
    routing_partner = site_obj.routing_partner if site_obj is not None else partner_obj
    asked = {
        "site_kind": site_kind,
        "integration": integration,
        "topic": topic,
        "customer_agrees": customer_agrees,
        "pass_month": query["pass_month"],
    }
    query.update(asked)
    shown = dict(query)  # the same question with names instead of codes, for messages
    if routing_partner is not None and routing_partner is not partner_obj:
        shown["partner"] = f"{partner_obj} (처리 기준 {routing_partner})"
    elif partner_obj is not None:
        shown["partner"] = str(partner_obj)
    elif unknown_partner:
        shown["partner"] = f"{query['partner']} (미등록 운영사 → 그 외)"

    day = _day(at)
    every_route = list(route_list().filter(request_kind=request_kind))
    routes = [r for r in every_route if r.is_active]
    applicable = [r for r in routes if r.applies_on(day)]

    levels: list[tuple[str, list[Route]]] = []
    if site_obj is not None:
        levels.append((f"현장 {site_obj}", [r for r in applicable if r.site_id == site_obj.pk]))
    plain = [r for r in applicable if r.site_id is None]
    if routing_partner is not None:
        levels.append(
            (str(routing_partner), [r for r in plain if r.partner_id == routing_partner.pk])
        )
    # "그 외" = partners the table does not list. A partner with rows of this kind is listed,
    # even if those rows are inactive or not yet in effect: no silent detour to 그 외.
    partner_has_own_kind = routing_partner is not None and any(
        r.partner_id == routing_partner.pk and r.site_id is None for r in every_route
    )
    is_other = routing_partner is not None and routing_partner.code == OTHER_PARTNER_CODE
    if (
        (unknown_partner or routing_partner is not None)
        and not partner_has_own_kind
        and not is_other
    ):
        levels.append(
            ("그 외", [r for r in plain if r.partner and r.partner.code == OTHER_PARTNER_CODE])
        )
    levels.append(("공통", [r for r in plain if r.partner_id is None]))

    for level, candidates in levels:
        definite: list[tuple[int, Route]] = []
        undecided: list[Route] = []
        missing: set[str] = set()
        for route in candidates:
            verdict, detail = _match(route, asked)
            if verdict == "yes":
                definite.append((detail, route))
            elif verdict == "unknown":
                undecided.append(route)
                missing |= detail
        if undecided:
            names = ", ".join(
                label for name, label in {**CRITERIA, **ASKED_ONLY}.items() if name in missing
            )
            raise AmbiguousRoute(
                f"{_describe(shown)}: {level} 경로가 {names}에 따라 다릅니다. 다음을 "
                f"지정하세요: {names}. (후보: {', '.join(str(r) for r in undecided)})",
                query=query,
                candidates=undecided,
            )
        if definite:
            best = max(score for score, _route in definite)
            winners = [route for score, route in definite if score == best]
            if len(winners) > 1:
                raise AmbiguousRoute(
                    f"{_describe(shown)}: 똑같이 해당하는 경로가 여러 개입니다 "
                    f"({', '.join(str(r) for r in winners)}). 경로 표를 정리해야 합니다.",
                    query=query,
                    candidates=winners,
                )
            winner = winners[0]
            winner.asked_site = site_obj
            winner.asked_day = day
            _attach_channel_route(winner, partner_obj, site_obj, asked, at, unknown_partner, query)
            return winner

    hints = []
    upcoming = sorted(
        {r.effective_from for r in routes if r.effective_from and r.effective_from > day}
    )
    if upcoming:
        hints.append(f"{upcoming[0]:%Y-%m-%d}부터 적용되는 경로가 있습니다")
    later_passes = sorted(
        {
            r.pass_month_from
            for r in applicable
            if r.pass_month_from and asked["pass_month"] and r.pass_month_from > asked["pass_month"]
        }
    )
    if later_passes:
        hints.append(
            f"{later_passes[0]:%Y-%m}월 정기권부터 적용되는 경로가 있습니다 "
            f"(이 정기권은 {asked['pass_month']:%Y-%m}월)"
        )
    if partner_obj is None and not unknown_partner and any(r.partner_id for r in routes):
        hints.append("운영사를 지정하세요")
    hint = f" ({'; '.join(hints)})" if hints else ""
    raise RouteNotFound(
        f"{_describe(shown)}에 해당하는 사용 중인 경로가 없습니다{hint}.", query=query
    )


def _attach_channel_route(route, partner_obj, site_obj, asked, at, unknown_partner, query):
    route.channel_route = None
    route.channel_route_error = ""
    if not route.channel_via:
        return
    # An unknown partner code is passed on as it was asked, so the delegate also lands on 그 외.
    partner_arg = query.get("partner") if unknown_partner else partner_obj
    if partner_arg is None and site_obj is None:
        route.channel_route_error = "운영사를 지정하지 않았습니다"
        return
    try:
        route.channel_route = route_for(
            request_kind=route.channel_via,
            partner=partner_arg,
            site=site_obj,
            site_kind=asked["site_kind"],
            integration=asked["integration"],
            pass_month=asked["pass_month"],
            at=at,
        )
    except RouteError as exc:
        route.channel_route_error = exc.message


# --- RouteInfo -------------------------------------------------------------------------------


def route_info(route: Route) -> RouteInfo:
    """The playbooks' view of a route (``cases.playbooks.base.RouteInfo``).

    For a "운영사별 채널" route resolved by :func:`route_for`, channel and recipients are the
    partner's; the procedure and who may act stay this route's (the seed's 변경권한 of the
    cancellation row, not of the partner's car-number row).
    """
    channel_route: Route | None = getattr(route, "channel_route", None)
    channel = channel_route.channel if channel_route is not None else route.channel
    day = getattr(route, "asked_day", None) or timezone.localdate()
    recipients_to, recipients_cc = channel.recipients_on(day)
    notes: list[str] = []
    own_mentions = route.mentions_on(day)
    partner_mentions = channel_route.mentions_on(day) if channel_route is not None else ()
    mentions = [*own_mentions, *partner_mentions]
    if route.notes:
        notes.append(route.notes)
    if route.effective_note:
        notes.append(f"적용: {route.effective_note}")
    if own_mentions:
        notes.append(f"멘션: {' '.join(own_mentions)}")
    if route.alternative_channel_id:
        alt = route.alternative_channel
        notes.append(f"또는: {alt.name} ({alt.get_kind_display()}: {alt.target or alt.name})")
    if channel_route is not None:
        notes.append(f"운영사별 채널: {channel_route} - {channel_route.procedure}")
        if channel_route.alternative_channel_id:
            alt = channel_route.alternative_channel
            notes.append(f"또는: {alt.name} ({alt.get_kind_display()}: {alt.target or alt.name})")
        if partner_mentions:
            notes.append(f"운영사 담당자 멘션: {' '.join(partner_mentions)}")
    elif route.channel_via:
        reason = getattr(route, "channel_route_error", "") or "운영사를 지정하지 않았습니다"
        notes.append(f"운영사별 채널을 정하지 못했습니다 ({reason}). 운영사별 채널을 확인하세요.")
    if channel.notes:
        notes.append(f"채널 안내: {channel.notes}")
    waiting = sorted(
        {
            link.contact.effective_from
            for link in channel.recipient_links.all()
            if link.contact.is_active
            and link.contact.effective_from
            and link.contact.effective_from > day
        }
    )
    if waiting:
        notes.append(
            f"운영사별 담당자는 {waiting[0]:%Y-%m-%d}부터 적용됩니다: 그 전에는 이전 "
            "프로세스대로 처리하세요."
        )
    sites = dict.fromkeys(s for s in (getattr(route, "asked_site", None), route.site) if s)
    for site in sites:
        if site.special_policy:
            notes.append(f"현장 정책 ({site.name}): {site.special_policy}")
    return RouteInfo(
        route_id=route.pk,
        channel_kind=channel.kind,
        channel_target=channel.target or channel.name,
        recipients_to=recipients_to,
        recipients_cc=recipients_cc,
        procedure=route.procedure,
        allowed_roles=route.allowed_role_codes(),
        notes="\n".join(notes),
        mentions=tuple(dict.fromkeys(mentions)),
    )


def route_info_for(**question: Any) -> RouteInfo:
    """``route_info(route_for(**question))``: what ``cases.playbooks`` Env implementations call."""
    return route_info(route_for(**question))
