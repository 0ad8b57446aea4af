"""The login lockout's housekeeping (django-axes), as a service the admin action calls.

axes' own admin action takes its threshold from ``request.axes_attempt_time``, which only a
login request carries (axes' middleware sets it); from the admin it raised AttributeError
(issue 12: the leads' "clean expired attempts" answered 500). Here the threshold is the same
rule, computed from the clock: an attempt older than the cool-off (30 minutes) no longer
counts towards a lock, so deleting it changes nobody's lock.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .permissions import user_can


@transaction.atomic
def lockout_clean_expired(*, actor, at=None) -> int:
    """Delete the login-failure records whose lock is over; returns how many.

    Needs ``axes.accessattempt.delete`` (leads and managers: deleting an attempt is how they
    unlock a colleague). Records inside the cool-off stay: they still count.
    """
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    if not user_can(actor, "axes.accessattempt.delete"):
        raise PermissionDenied("로그인 실패 기록을 정리할 권한이 없습니다.")
    now = at or timezone.now()
    if getattr(settings, "AXES_USE_ATTEMPT_EXPIRATION", False):
        expired = AccessAttempt.objects.filter(expiration__expires_at__lte=now)
    else:
        cool_off = get_cool_off()
        if cool_off is None:  # no cool-off configured: a lock lasts until a person lifts it
            return 0
        expired = AccessAttempt.objects.filter(attempt_time__lte=now - cool_off)
    count, _ = expired.delete()
    return count
