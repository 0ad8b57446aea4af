"""Reads that may come from a PostgreSQL streaming replica (issue 17.7).

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database and this router.
Only the pages that read a lot and tolerate a second of lag read from it: the dashboard, the
audit pages, exports and search, each wrapped in :func:`replica_reads` (a decorator for views,
a context manager elsewhere). Everything else, and every write, uses the primary.

Read-your-own-write: a user who has just written (any request that is not GET/HEAD/OPTIONS)
gets a short-lived cookie (:data:`PIN_COOKIE`, ``KMCS_REPLICA_PIN_SECONDS``, default 10 s), and
while it lives their replica reads go to the primary too, so the page after a save never
shows the state before it. A POST that writes nothing but the session (the search box) says so
with :func:`not_a_write` and pins nothing. The session and the signed-in user are always read
from the primary (a fresh login or a search term just stored must not wait for the replica).
Without a replica configured nothing here changes a query.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "kmcs_primary"

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kmcs_reading_replica", default=False
)


def replica_configured() -> bool:
    """A replica alias exists and reads may use it (``KMCS_REPLICA_READS``; the test settings
    turn it off so the suite runs unchanged with ``DATABASE_REPLICA_URL`` set, and the replica
    tests turn it back on)."""
    return REPLICA in settings.DATABASES and getattr(settings, "KMCS_REPLICA_READS", True)


@contextmanager
def replica_context(*, pinned: bool = False):
    """Reads inside go to the replica (when one is configured and ``pinned`` is false)."""
    token = _reading_replica.set(replica_configured() and not pinned)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def pinned(request) -> bool:
    """This user wrote in the last seconds (:data:`PIN_COOKIE`): their reads use the primary."""
    return bool(request.COOKIES.get(PIN_COOKIE))


@contextmanager
def request_replica_context(request):
    """:func:`replica_context` for a request: the signed-in user (and with it the session) is
    loaded from the primary first, then the reads inside go to the replica unless the user
    just wrote."""
    user = getattr(request, "user", None)
    if user is not None:
        user.is_authenticated  # noqa: B018 - resolves the lazy user on the primary
    with replica_context(pinned=pinned(request)):
        yield


def replica_reads(view):
    """View decorator: the view's reads go to the replica unless the user just wrote."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with request_replica_context(request):
            response = view(request, *args, **kwargs)
            # A lazy response (TemplateResponse) reads while it renders: render it here.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper


def reading_replica() -> bool:
    return _reading_replica.get()


def read_alias() -> str:
    """The database the reads here go to. For a queryset read after the view returns (a
    streamed export iterates while the response is sent, outside :func:`replica_context`):
    ``qs.using(read_alias())`` fixes the choice made inside the view."""
    if _reading_replica.get() and not connections["default"].in_atomic_block:
        return REPLICA
    return "default"


def not_a_write(request) -> None:
    """Marks a POST that writes only the session (a search box): it sets no pin, so the page it
    redirects to may read the replica. The session itself is always read from the primary."""
    request.kmcs_not_a_write = True


class ReplicaRouter:
    """Reads in :func:`replica_context` -> ``replica``; all else, and every write -> primary.

    A read inside an atomic block on the primary stays on the primary (it must see what the
    block wrote)."""

    #: Apps always read from the primary: the session (a search term stored by the POST just
    #: before) and the login state must not lag.
    PRIMARY_APPS = frozenset({"sessions"})

    def db_for_read(self, model, **hints):
        if model._meta.app_label in self.PRIMARY_APPS:
            return "default"
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class PrimaryAfterWriteMiddleware:
    """Sets :data:`PIN_COOKIE` on the response to any writing request (read-your-own-write)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        writes = request.method not in self.SAFE and not getattr(request, "kmcs_not_a_write", False)
        if replica_configured() and writes:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=getattr(settings, "KMCS_REPLICA_PIN_SECONDS", 10),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
