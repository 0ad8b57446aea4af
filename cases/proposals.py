"""Proposals as JSON (the case's snapshot, the confirmation page's fingerprint).

A :class:`~cases.playbooks.base.Proposal` is a tree of frozen dataclasses with tuples,
frozensets and dates; the snapshot is the same tree as plain JSON, stable across runs
(frozensets sorted), so two equal proposals have equal fingerprints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from cases.playbooks.base import Proposal

#: Per dataclass, the names of its fields (``dataclasses.fields`` rebuilds the tuple on every
#: call; a batch intake snapshots thousands of proposals of a few dozen classes: issue 17.5).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_PLAIN = (str, int, float, bool, type(None))


def to_jsonable(value: Any) -> Any:
    if isinstance(value, _PLAIN):  # the leaves, most of a proposal: answered first
        return value
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, (frozenset, set)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (date, datetime, Decimal)):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return value


def proposal_snapshot(proposal: Proposal) -> dict:
    return to_jsonable(proposal)


def proposal_fingerprint(proposal: Proposal) -> str:
    """Identifies a proposal's content: a confirmation page posts it back to detect a change."""
    payload = json.dumps(proposal_snapshot(proposal), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()
