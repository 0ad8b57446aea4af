"""Per-gateway protection of the SMS providers: a rate limit and a circuit breaker.

Both are keyed by the sending system (``cems``, ``mcrm``): one provider account each, with its
own quota and its own outages.

- :class:`RateLimiter` is a token bucket. With a Redis broker configured
  (``CELERY_BROKER_URL=redis://...``) the bucket lives in Redis and one Lua script takes a token
  atomically, so every worker process shares the provider's quota; otherwise (development,
  in-process tasks) it lives in this process.
- :class:`CircuitBreaker` opens after ``failures`` consecutive transient failures, refuses calls
  for ``cooldown`` seconds, then lets exactly one probe through (half-open): its success closes
  the breaker, its failure opens it again. The state is in Django's cache (Redis in production),
  so every worker sees the same breaker.

Neither sleeps: when a call may not go now they raise :class:`GatewayDeferred` with the seconds
to wait, and the outbox queues the message again for then without counting an attempt (nothing
was sent, so nothing is spent of the message's retry budget).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .gateways import GatewayError


class GatewayDeferred(GatewayError):
    """Not sent, on purpose (rate limit, open breaker): try again in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))


# --- rate limit -----------------------------------------------------------------------------

_TOKEN_BUCKET_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', key, 'tokens', tokens, 'at', now)
redis.call('EXPIRE', key, math.ceil(capacity / rate) + 60)
return tostring(wait)
"""


class _LocalBuckets:
    """In-process token buckets (one lock): the fallback without a Redis broker."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, capacity: float, now: float) -> float:
        with self.lock:
            tokens, at = self.buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - at) * rate)
            if tokens >= 1:
                self.buckets[key] = (tokens - 1, now)
                return 0.0
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / rate

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()


LOCAL_BUCKETS = _LocalBuckets()


def _redis_client():
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


@dataclass
class RateLimiter:
    """``rate`` messages per second on average, bursts of up to ``burst``."""

    system: str
    rate: float
    burst: float

    @property
    def key(self) -> str:
        return f"kmcs:sms:bucket:{self.system}"

    def take(self) -> None:
        """Take one token or raise :class:`GatewayDeferred` with the wait until the next one."""
        if self.rate <= 0:
            return
        now = time.time()
        client = _redis_client()
        wait = None
        if client is not None:
            try:
                wait = float(
                    client.eval(_TOKEN_BUCKET_LUA, 1, self.key, self.rate, self.burst, now)
                )
            except Exception:  # Redis down: the provider's quota still holds in this process
                wait = None
        if wait is None:
            wait = LOCAL_BUCKETS.take(self.key, self.rate, self.burst, now)
        if wait > 0:
            raise GatewayDeferred(f"발송 속도 제한 ({self.system}): {wait:.1f}초 후 발송", wait)


# --- circuit breaker ------------------------------------------------------------------------


class CircuitBreaker:
    """Consecutive-failure breaker with a single half-open probe; state in Django's cache."""

    def __init__(self, system: str, *, failures: int, cooldown: float):
        self.system = system
        self.threshold = max(1, failures)
        self.cooldown = max(1.0, cooldown)
        prefix = f"kmcs:sms:breaker:{system}"
        self.k_failures = f"{prefix}:failures"
        self.k_open_until = f"{prefix}:open_until"
        self.k_probe = f"{prefix}:probe"

    def state(self) -> str:
        """``closed``, ``open`` (refusing) or ``half_open`` (cool-down over, a probe may go)."""
        open_until = cache.get(self.k_open_until)
        if open_until is None:
            return "closed"
        return "open" if time.time() < open_until else "half_open"

    def before_call(self) -> bool:
        """Raise :class:`GatewayDeferred` while open; returns True when this call is the probe."""
        open_until = cache.get(self.k_open_until)
        if open_until is None:
            return False
        now = time.time()
        if now < open_until:
            raise GatewayDeferred(
                f"발송사 장애로 차단 중 ({self.system}): {open_until - now:.0f}초 후 다시 시도",
                open_until - now,
            )
        # Half-open: the first caller to add the probe key is the probe; the others wait.
        if cache.add(self.k_probe, now, timeout=int(self.cooldown) + 30):
            return True
        raise GatewayDeferred(f"발송사 확인 중 ({self.system}): 잠시 후 다시 시도", self.cooldown)

    def success(self) -> None:
        cache.delete_many([self.k_failures, self.k_open_until, self.k_probe])

    def failure(self, *, probe: bool) -> None:
        """A transient failure (timeout, 5xx, 429). A failed probe opens the breaker again."""
        if probe:
            self._open()
            return
        cache.add(self.k_failures, 0, timeout=None)
        try:
            count = cache.incr(self.k_failures)
        except ValueError:  # evicted between add and incr
            cache.set(self.k_failures, 1, timeout=None)
            count = 1
        if count >= self.threshold:
            self._open()

    def _open(self) -> None:
        cache.set(self.k_open_until, time.time() + self.cooldown, timeout=None)
        cache.set(self.k_failures, 0, timeout=None)
        cache.delete(self.k_probe)

    def reset(self) -> None:
        self.success()
