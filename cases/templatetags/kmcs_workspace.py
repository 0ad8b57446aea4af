"""Template helpers of the workspace: the permission question and masking, nothing else."""

from django import template

from kmcs_site.permissions import user_can as _user_can
from kmcs_site.privacy import mask_text as _mask_text

register = template.Library()


@register.simple_tag
def user_can(user, action, obj=None):
    """``{% user_can request.user "workspace.queue.read" as can_queue %}`` (the one module)."""
    return _user_can(user, action, obj)


@register.filter
def mask_text(value):
    """Phone numbers inside free text masked (010-****-5678)."""
    return _mask_text(str(value)) if value not in (None, "") else value
