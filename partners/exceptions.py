"""Errors of the partners app that other apps catch (cases, the playbook Env, the API)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class RouteError(Exception):
    """The route table cannot answer this question. ``str(exc)`` is a Korean message for
    screens; ``query`` is what was asked (codes), ``candidates`` the routes considered.

    Raised as such for a malformed question (unknown request kind or site, a site that does not
    belong to the given partner); :class:`RouteNotFound` and :class:`AmbiguousRoute` otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        query: Mapping[str, Any] | None = None,
        candidates: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.query = dict(query or {})
        self.candidates = tuple(candidates)


class RouteNotFound(RouteError, LookupError):
    """No active route applies (nothing matches, or what matches is not in effect yet)."""


class AmbiguousRoute(RouteError):
    """More than one route could apply: the caller must say more (site kind, customer agrees...)
    or the table has two equally specific routes for the question."""
