"""JSON from outside (API bodies, JSON Lines rows, a CSV ``facts`` cell) with a nesting limit.

Python's parser recurses once per ``[``/``{``: 100,000 of them raise ``RecursionError`` (a 500 in
the API, an aborted import), and a few hundred that still parse make every later recursive step
(validation, error flattening, ``json.dumps`` of the stored facts) a risk. No request or fact of
ours is nested more than a few levels, so anything deeper than :data:`MAX_DEPTH` is refused as
malformed input, with a Korean message, before anything else looks at it.
"""

from __future__ import annotations

import json
from typing import Any

#: Deepest nesting accepted (a batch item's facts are 3 levels deep: body, cases, item, facts).
MAX_DEPTH = 32
TOO_DEEP = f"JSON이 너무 깊게 중첩되어 있습니다 (최대 {MAX_DEPTH}단계)."


class JsonTooDeep(ValueError):
    """The text nests arrays/objects deeper than :data:`MAX_DEPTH` (a ValueError, so callers
    that reject malformed JSON reject this too)."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def _reject_constant(name: str):
    raise ValueError(f"JSON에 쓸 수 없는 값입니다: {name}")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists/dicts deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads(text: str | bytes, *, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses NaN/Infinity and nesting deeper than ``limit``
    (:class:`JsonTooDeep`); other malformed JSON raises ``json.JSONDecodeError`` as usual."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise JsonTooDeep() from None
    if too_deep(value, limit):
        raise JsonTooDeep()
    return value
