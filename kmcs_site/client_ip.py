"""The client's address for the login lockout (django-axes ``AXES_CLIENT_IP_CALLABLE``).

Directly exposed (``KMCS_TRUSTED_PROXY_COUNT = 0``, the default) the address is the socket's
(``REMOTE_ADDR``); ``X-Forwarded-For`` is ignored, since anyone can send it.

Behind N reverse proxies of our own (``KMCS_TRUSTED_PROXY_COUNT = N``) every request comes
from the last proxy, so ``REMOTE_ADDR`` is the proxy's address and axes would lock
(username, proxy) pairs: one person's typos would lock that username for the whole office, and
a guesser's attempts would all carry the proxy's address. Each of our proxies *appends* the
address it received the request from to ``X-Forwarded-For``; the client's address is therefore
the N-th entry from the right. Entries left of it were written by the client itself and are
never trusted (taking the left-most entry, as many snippets do, lets an attacker pick a fresh
address for every guess). A header with fewer entries than trusted proxies, or an entry that
is not an IP address, falls back to ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "KMCS_TRUSTED_PROXY_COUNT", 0) or 0))


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = trusted_proxy_count()
    if count == 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
