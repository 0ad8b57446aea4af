"""API tokens for machine clients (the integration role), as a service the command calls.

django-rest-knox stores a SHA-512 digest of each token (and a 15-character lookup prefix),
never the token itself, and every token expires (``KMCS_API_TOKEN_TTL_DAYS``, 90 by default).
The token exists in clear only in the return value of :func:`api_token_issue`: the operator
hands it to the integration system once; a lost token is replaced, never read back.
"""

from __future__ import annotations

import binascii
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication

from .permissions import Role, user_roles

logger = logging.getLogger("kmcs.api")


class ApiTokenRefused(Exception):
    """Why no token was issued (Korean, for the operator)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; the database holds only its digest
    username: str
    expiry: datetime


@transaction.atomic
def api_token_issue(*, username: str, ttl_days: int | None = None) -> IssuedToken:
    """Issue a new token for the integration user ``username``, valid ``ttl_days`` days
    (default ``KMCS_API_TOKEN_TTL_DAYS``).

    Only active users of the integration role get one: a token skips the login page, its
    lockout and the session's CSRF check, which staff accounts keep. Earlier tokens stay valid
    until they expire or are revoked, so a client can switch keys without downtime.
    """
    from knox.models import AuthToken

    days = settings.KMCS_API_TOKEN_TTL_DAYS if ttl_days is None else ttl_days
    if days < 1:
        raise ApiTokenRefused(f"유효 기간은 1일 이상이어야 합니다 (받은 값: {days}).")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ApiTokenRefused(f"사용자를 찾을 수 없습니다: '{username}'")
    if not user.is_active:
        raise ApiTokenRefused(f"비활성 사용자에게는 토큰을 발급할 수 없습니다: '{username}'")
    if Role.INTEGRATION not in user_roles(user):
        raise ApiTokenRefused(
            f"'{username}'은(는) 연동 시스템 역할(integration)이 아닙니다. API 토큰은 연동 "
            "시스템 계정에만 발급합니다 (직원은 로그인 세션으로 API를 씁니다)."
        )
    # The user's expired tokens go now (knox swept them on every request; see
    # ApiTokenAuthentication): they authenticate nothing, the admin lists only live ones.
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    row, token = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    logger.info(
        "API token %s… issued for user %s, expires %s", row.digest[:12], user.pk, row.expiry
    )
    return IssuedToken(token=token, username=username, expiry=row.expiry)


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check in one query: the token, its user and the user's roles (issue 17.5).

    knox reads the token with its user, then every token of that user (to delete the expired
    ones) on every request, and the permission check then reads the user's groups: three
    reads before the view. Here the token row, the user and the group names come in one
    statement (one row per group), and ``kmcs_site.permissions.user_roles`` finds the roles
    already on the user. What knox answers is kept: a wrong token or one past its expiry is
    401 (an expired one is deleted, with knox's ``token_expired`` signal); an inactive user is
    401. A user's *other* expired tokens, which knox swept on each request, are deleted when
    a new token is issued for them (:func:`api_token_issue`); they never authenticate anyway.
    """

    def authenticate_credentials(self, token):
        from knox.crypto import hash_token
        from knox.models import get_token_model
        from knox.settings import CONSTANTS
        from knox.signals import token_expired
        from rest_framework import exceptions

        from .permissions import ALL_ROLES

        msg = _("Invalid token.")
        token = token.decode("utf-8")
        rows = (
            get_token_model()
            .objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(kmcs_group=F("user__groups__name"))
        )
        found: dict = {}  # digest -> (token row, its user's group names)
        for row in rows:
            found.setdefault(row.digest, (row, set()))[1].add(row.kmcs_group)
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(msg) from None
        for candidate, groups in found.values():
            if not compare_digest(digest, candidate.digest):
                continue
            if candidate.expiry is not None and candidate.expiry < timezone.now():
                username = candidate.user.get_username()
                candidate.delete()
                token_expired.send(sender=self.__class__, username=username, source="auth_token")
                break
            user = candidate.user
            user._kmcs_roles = frozenset(name for name in groups if name in ALL_ROLES)
            return self.validate_user(candidate)
        raise exceptions.AuthenticationFailed(msg)
