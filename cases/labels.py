"""Korean labels for the codes the playbooks speak: outcomes, figures, due rules.

Codes (``cancel_pass_payment``, ``pass_amount``, ``business_days:5``) are stable and cross the
API; agents, leads and auditors read Korean. Every screen that shows one of them asks here, so
a code never reaches a page raw and one label is used everywhere:

- outcomes come from each playbook module's ``OUTCOMES`` (an ordered mapping code -> label);
- figures (``Proposal.figures``) from :data:`FIGURES`: key -> (label, kind), where the kind
  says how to write the value the way the playbooks write it (원, 분, 날짜);
- due rules (``CaseStep.due_rule``) from :func:`due_rule_label`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

#: What a playbook says when the seed does not decide: a person chooses, nobody overrides to it.
NEEDS_REVIEW = "needs_review"


# --------------------------------------------------------------------------- outcomes
def _module(playbook: str):
    from cases.playbooks import get_playbook

    try:
        return get_playbook(playbook)
    except LookupError:
        return None


def outcome_labels(playbook: str) -> dict[str, str]:
    """The playbook's ``OUTCOMES`` (code -> Korean label), in its order; {} for none."""
    declared = getattr(_module(playbook), "OUTCOMES", None) or {}
    if isinstance(declared, Mapping):
        return {str(code): str(label) for code, label in declared.items()}
    return {str(code): str(code) for code in declared}


def outcome_label(playbook: str, code: str | None) -> str:
    """The Korean label of ``code`` in ``playbook`` (any playbook's label if the playbook does
    not know it; the code itself only when nobody does, so nothing is hidden)."""
    if not code:
        return ""
    label = outcome_labels(playbook).get(code)
    if label:
        return label
    return all_outcome_labels().get(code, code)


def override_choices(playbook: str) -> list[tuple[str, str]]:
    """(code, label) a lead may decide instead of the proposal: every declared outcome but
    ``needs_review``, in the playbook's order."""
    return [(c, label) for c, label in outcome_labels(playbook).items() if c != NEEDS_REVIEW]


@lru_cache(maxsize=1)
def all_outcome_labels() -> dict[str, str]:
    """code -> label over every playbook; a code two playbooks share (``rejected_duplicate``,
    ``needs_review``) gets both labels when they differ."""
    from cases.playbooks import PLAYBOOKS

    merged: dict[str, list[str]] = {}
    for code in PLAYBOOKS:
        for outcome, label in outcome_labels(code).items():
            labels = merged.setdefault(outcome, [])
            if label not in labels:
                labels.append(label)
    return {code: " / ".join(labels) for code, labels in merged.items()}


@lru_cache(maxsize=1)
def outcome_filter_choices() -> tuple[tuple[str, str], ...]:
    """(code, "플레이북: label") for the admin's outcome filter: every playbook's outcomes,
    grouped by playbook, each code once."""
    from cases.models.choices import PlaybookCode
    from cases.playbooks import PLAYBOOKS

    names = dict(PlaybookCode.choices)
    seen: dict[str, list[str]] = {}
    order: list[str] = []
    for code in PLAYBOOKS:
        for outcome, label in outcome_labels(code).items():
            if outcome not in seen:
                seen[outcome] = []
                order.append(outcome)
            seen[outcome].append(f"{names.get(code, code)}: {label}")
    return tuple((outcome, " / ".join(seen[outcome])) for outcome in order)
