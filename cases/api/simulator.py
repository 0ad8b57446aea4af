"""The playbook simulator: what a playbook proposes for some facts, creating nothing.

The same path the case pages take (``cases.services.case_propose``): ``cases.playbooks.evaluate``
with the playbook's FACTS and a :class:`~cases.playbooks.env.DatabaseEnv` (campaigns and routes
read from the database, nothing written). The API adds one rule of its doors: a fact the
playbook does not declare is an error, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.api.errors import flatten
from cases.exceptions import FactsInvalid, ProposalFailed
from cases.intake.facts import unknown_fact_errors
from cases.playbooks import evaluate, get_playbook
from cases.playbooks.base import Env, PlaybookError, Proposal


def prefixed(errors: Mapping[str, list[str]], prefix: str) -> dict[str, list[str]]:
    return {f"{prefix}.{name}": list(messages) for name, messages in errors.items()}


def playbook_simulate(
    *, code: str, facts: Mapping[str, Any], at: datetime, env: Env | None = None
) -> Proposal:
    """The proposal of playbook ``code`` for ``facts`` at ``at``.

    Raises ``UnknownPlaybook`` (unknown code), :class:`FactsInvalid` with ``facts.<field>``
    errors (unknown or invalid facts), :class:`ProposalFailed` (the playbook cannot decide).
    """
    from cases.playbooks.env import DatabaseEnv

    module = get_playbook(code)
    errors = unknown_fact_errors(module, facts)
    try:
        proposal = evaluate(code, facts, at, env or DatabaseEnv())
    except DrfValidationError as exc:
        errors.update(flatten(exc.detail))
        raise FactsInvalid(prefixed(errors, "facts")) from exc
    except PlaybookError as exc:
        raise ProposalFailed(str(exc)) from exc
    if errors:
        raise FactsInvalid(prefixed(errors, "facts"))
    return proposal
