"""Reads of the outbox, scoped to the user who asks (STYLE: objects fetched already scoped).

A message is seen as its case is (issue 12): leads, deputies, managers and auditors see every
message; an agent only the messages of the cases they may see, by the cases app's own
visibility selector (``cases.selectors.case_list_visible_to``), so the outbox can never show
more than the case screens do. This app never imports cases at module level (the outbox is
generic); the selector is asked when a list is built.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from kmcs_site.permissions import user_can, user_roles

from .models import OutboundMessage


def messages_visible_to(*, user, messages: QuerySet | None = None) -> QuerySet:
    """``messages`` (default: the whole outbox) narrowed to what ``user`` may see.

    For an agent: one subquery on the visible cases (no query of its own; the case
    selector's roles and services are cached on the user).
    """
    from cases.access import is_agent_only
    from cases.models import Case
    from cases.selectors import case_list_visible_to

    queryset = OutboundMessage.objects.all() if messages is None else messages
    if not user_can(user, "templates_app.outboundmessage.view"):
        return queryset.none()
    if user.is_superuser or not is_agent_only(user_roles(user)):
        return queryset
    return queryset.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id__in=case_list_visible_to(user=user).values("pk"),
    )
