"""Handing work to Celery from a user's request, so that a dead broker never fails the request.

Issue 12: with the broker down, a decision committed, queued its SMS, and then answered 500:
the after-commit hook was a ``functools.partial``, and Django's *robust* on-commit error logging
reads ``func.__qualname__``, which a partial lacks. The admin's bulk decide stopped after the
first case; a fine intake answered 500 although saved, and the agent's retry filed a duplicate.

The rule here: what the user asked for is written in the transaction (the outbox row, the
payout row); the broker is only how a worker hears of it *sooner*. So

- a publish is one attempt (``retry=False``) against a short connection timeout (settings:
  ``CELERY_BROKER_CONNECTION_TIMEOUT``, ``CELERY_BROKER_TRANSPORT_OPTIONS``), never a hang;
- a broker error is caught and logged (WARNING), never raised into the request;
- the sweepers send what was not handed over: ``templates_app.message_requeue_stale`` (beat,
  every minute) for queued SMS, the payout batch for payouts still to verify;
- after-commit hooks are named functions (never partials), registered ``robust`` so that any
  other error is logged by Django instead of breaking the response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger("kmcs_site.broker")

#: What a publish raises when the broker cannot be reached: kombu's OperationalError (a
#: KombuError) wraps most of them; redis-py's ConnectionError / TimeoutError (RedisError) and
#: the socket's own OSError (refused, unreachable, timed out) can surface unwrapped.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuError, RedisError, OSError)


def publish(task, args: Sequence[Any] = (), *, countdown: int | None = None, what: str) -> bool:
    """``task.apply_async(args)`` once; False (and a log line) when the broker is unreachable.

    ``what`` names the work in the log ("SMS #12"), so an operator sees what waits for the
    sweeper. In-process mode (no broker configured: tasks run eagerly) runs the task here.
    """
    try:
        task.apply_async(tuple(args), countdown=countdown, retry=False)
    except BROKER_ERRORS as exc:
        logger.warning(
            "브로커에 연결할 수 없어 %s 전달을 미룹니다 (스위퍼가 나중에 보냄): %s: %s",
            what,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def call_after_commit(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``func(*args, **kwargs)`` after the current transaction commits (now, outside one).

    A broker error inside ``func`` is caught and logged (the committed work stands, the
    sweeper sends it later); any other error is logged by Django's robust on-commit handling
    instead of failing the request that already committed.
    """

    def after_commit() -> None:
        try:
            func(*args, **kwargs)
        except BROKER_ERRORS as exc:
            logger.warning(
                "브로커에 연결할 수 없어 %s 실행을 미룹니다 (스위퍼가 나중에 처리): %s: %s",
                getattr(func, "__qualname__", repr(func)),
                type(exc).__name__,
                exc,
            )

    # Django's robust on_commit logs failures with func.__qualname__: a real name, always.
    after_commit.__qualname__ = f"{getattr(func, '__qualname__', 'task')}[after commit]"
    transaction.on_commit(after_commit, robust=True)
