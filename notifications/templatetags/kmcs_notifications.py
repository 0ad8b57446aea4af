"""``{% notification_bell %}``: the header's bell with the unread count (one COUNT query, only
for users who may read notifications)."""

from __future__ import annotations

from django import template

from kmcs_site.permissions import user_can

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user_can(user, "notifications.inbox.read"):
        return {"show": False}
    from notifications.selectors import notification_unread_count

    return {"show": True, "unread": notification_unread_count(user=user)}
