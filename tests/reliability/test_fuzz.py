"""Fuzzing the two pure engines with hypothesis: whatever comes in, a valid answer or a
validation error, never an exception.

- **Playbooks**: every registered playbook (``cases.playbooks.PLAYBOOKS``, so a new one is
  covered the day it is registered), through the one evaluation path the API, the agent form
  and the importer share (``playbook_simulate``, with the database environment), with arbitrary
  JSON as facts: random keys, the playbook's own field names with any JSON value, and values
  shaped like each field's type. The answer is a proposal the API can serialize, or
  ``FactsInvalid`` / ``ProposalFailed`` (Korean messages).
- **Renderer**: every catalogue template with arbitrary context values (missing, extra, of any
  type), and arbitrary template bodies: a ``Rendered`` or a ``RenderError``.

Examples per playbook / per renderer test: KMCS_FUZZ_EXAMPLES (CI: 150). The counts go to
test-artifacts/reliability/fuzz.json for bench/reliability_report.py.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from cases.exceptions import FactsInvalid, ProposalFailed
from cases.playbooks import PLAYBOOKS
from templates_app.catalogue import CATALOGUE
from templates_app.render import Rendered, RenderError, render_sms

EXAMPLES = int(os.environ.get("KMCS_FUZZ_EXAMPLES", "150"))
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability" / "fuzz.json"
COUNTS: Counter = Counter()

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: CI failures reproduce
    suppress_health_check=list(HealthCheck),
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _shaped(field: serializers.Field):
    """Values that look like what ``field`` accepts (so the fuzz reaches propose())."""
    if isinstance(field, serializers.ChoiceField):
        return st.sampled_from(list(field.choices) or [""])
    if isinstance(field, serializers.BooleanField):
        return st.booleans()
    if isinstance(field, serializers.IntegerField):
        return st.integers(-10, 500_000)
    if isinstance(field, serializers.DecimalField):
        return st.decimals(min_value=0, max_value=999, places=field.decimal_places).map(str)
    if isinstance(field, serializers.DateTimeField):
        return st.datetimes(
            min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
        ).map(lambda moment: moment.isoformat())
    if isinstance(field, serializers.DateField):
        return st.dates(date(2024, 1, 1), date(2026, 1, 1)).map(str)
    if isinstance(field, serializers.FloatField):
        return st.floats(-200, 200, allow_nan=False)
    if isinstance(field, serializers.ListField):
        return st.lists(st.text(max_size=8), max_size=3)
    return st.text(max_size=20) | st.from_regex(r"\A\d{1,12}\Z")


def facts_strategy(code: str):
    """Arbitrary JSON, in four mixes: every field shaped (reaches propose()), shaped with a few
    fields junk, a random subset of fields with any JSON values plus unknown keys, and plain
    JSON of any shape (a list, a number...)."""
    fields = PLAYBOOKS[code].FACTS().fields
    names = sorted(fields)
    required = {n: _shaped(f) for n, f in fields.items() if f.required}
    optional = {n: _shaped(f) for n, f in fields.items() if not f.required}
    shaped = st.fixed_dictionaries(required, optional=optional)
    junk_some = st.tuples(shaped, st.dictionaries(st.sampled_from(names), JSON, max_size=2)).map(
        lambda pair: {**pair[0], **pair[1]}
    )
    mixed = st.tuples(
        st.lists(st.sampled_from(names), unique=True, max_size=len(names)).flatmap(
            lambda chosen: st.fixed_dictionaries(
                {name: _shaped(fields[name]) | JSON for name in chosen}
            )
        ),
        st.dictionaries(st.text(max_size=10), JSON, max_size=2),
    ).map(lambda pair: {**pair[1], **pair[0]})
    return st.one_of(shaped, shaped, junk_some, mixed, JSON)


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(PLAYBOOKS))
@FUZZ
@given(data=st.data())
def test_any_facts_give_a_proposal_or_a_validation_error(code, data):
    import cases.api.views  # noqa: F401  (the URLconf's import order; see the report)
    from cases.api import serializers as api
    from cases.api.presenters import proposal_payload
    from cases.api.simulator import playbook_simulate

    facts = data.draw(facts_strategy(code), label="facts")
    at = data.draw(
        st.datetimes(datetime(2024, 6, 1), datetime(2025, 12, 31), timezones=st.just(UTC)),
        label="at",
    )
    COUNTS[f"playbook:{code}"] += 1
    try:
        proposal = playbook_simulate(code=code, facts=facts, at=at)
    except FactsInvalid as exc:
        assert exc.errors and all(key.startswith("facts") for key in exc.errors), exc.errors
        COUNTS[f"playbook:{code}:invalid"] += 1
        return
    except ProposalFailed as exc:
        assert str(exc)
        COUNTS[f"playbook:{code}:refused"] += 1
        return
    # A proposal the API can answer with: serializable, with an outcome of the playbook.
    payload = api.ProposalSerializer(proposal_payload(proposal)).data
    json.dumps(payload, ensure_ascii=False, default=str)
    assert payload["playbook"] == code and payload["outcome"]
    COUNTS[f"playbook:{code}:proposal"] += 1


CONTEXT_VALUE = (
    JSON
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.decimals(allow_nan=False, allow_infinity=False)
)
#: Values of each declared variable type (so most catalogue renders succeed), edges included.
TYPED = {
    "text": st.text(max_size=40),
    "int": st.integers(-(10**6), 10**9),
    "amount": st.integers(-5, 10**12),
    "date_md": st.dates(),
    "date_ymd": st.dates(),
    "datetime": st.datetimes(timezones=st.just(UTC)) | st.datetimes(),
    "phone": st.from_regex(r"\A01[016789]-?\d{3,4}-?\d{4}\Z") | st.text(max_size=14),
    "call_id": st.from_regex(r"\A\d{1,12}\Z") | st.text(max_size=8),
    "url": st.from_regex(r"\Ahttps?://[a-z]{1,10}\.example/[a-z0-9/]{0,20}\Z")
    | st.text(max_size=20),
}


@FUZZ
@given(
    template=st.sampled_from(CATALOGUE),
    values=st.just({}) | st.dictionaries(st.text(max_size=12), CONTEXT_VALUE, max_size=2),
    drop=st.just(set()) | st.sets(st.integers(0, 6), max_size=2),
    data=st.data(),
)
def test_any_context_renders_or_is_refused(template, values, drop, data):
    context = {
        name: data.draw(TYPED[kind] | TYPED[kind] | CONTEXT_VALUE, label=name)
        for i, (name, kind) in enumerate(template.variables.items())
        if i not in drop
    }
    context.update(values)
    COUNTS["render:catalogue"] += 1
    try:
        rendered = render_sms(body=template.body, variables=template.variables, context=context)
    except RenderError as exc:
        assert exc.message
        COUNTS["render:catalogue:refused"] += 1
        return
    assert isinstance(rendered, Rendered) and rendered.byte_length >= rendered.length >= 0
    assert "{{" not in rendered.text or "{{" in "".join(str(v) for v in context.values())
    COUNTS["render:catalogue:rendered"] += 1


@FUZZ
@given(
    body=st.text(alphabet=st.characters(), max_size=60)
    | st.lists(
        st.sampled_from(["{{", "}}", " ", "x", "이름", "{", "}", "\n", "{{ x }}"]), max_size=12
    ).map("".join),
    variables=st.dictionaries(
        st.sampled_from(["x", "이름", "n", "1a"]),
        st.sampled_from(["text", "int", "amount", "date_md", "phone", "url", "nope"]),
        max_size=3,
    ),
    context=st.dictionaries(st.sampled_from(["x", "이름", "n"]), CONTEXT_VALUE, max_size=3),
)
def test_any_body_renders_or_is_refused(body, variables, context):
    COUNTS["render:body"] += 1
    try:
        render_sms(body=body, variables=variables, context=context)
    except RenderError:
        COUNTS["render:body:refused"] += 1
        return
    COUNTS["render:body:rendered"] += 1


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    examples = {k: v for k, v in sorted(COUNTS.items())}
    examples["total"] = sum(v for k, v in COUNTS.items() if k.count(":") == 1)
    ARTIFACT.write_text(json.dumps({"examples_setting": EXAMPLES, "counts": examples}, indent=1))
