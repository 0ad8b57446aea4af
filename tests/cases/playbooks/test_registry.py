"""The registry, the one evaluation path, and a property: random facts never crash a playbook."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from cases.consultation_types import all_paths
from cases.playbooks import PLAYBOOKS, UnknownPlaybook, evaluate, get_playbook
from cases.playbooks.base import (
    ALL,
    RESULT_TYPES,
    WAITS_ON,
    MessageSpec,
    PlaybookError,
    Proposal,
    RouteInfo,
    StaticEnv,
)
from templates_app.catalogue import CATALOGUE

from .conftest import SEED_CAMPAIGN, kst

OUTCOMES = {
    "parking_double_payment": {
        "cancel_pass_payment",
        "normal_overtime",
        "customer_fault_bought_after_entry",
        "customer_fault_info_mismatch",
        "request_evidence",
        "refer_control_center",
        "center_contacts_control_center",
        "escalate_agit",
        "consultation_restricted",
    },
    "driver_nonride_cancel": {
        "approved",
        "rejected_ride_recorded",
        "rejected_already_processed",
        "rejected_other_inquiry",
        "rejected_duplicate",
        "needs_review",
    },
    "ev_charging": {
        "forward_to_cpo",
        "postbill_notice",
        "exclude_from_billing",
        "cancel_after_settlement",
    },
    "parking_operations": {
        "follow_route",
        "explain_refund",
        "escalate_business_owner",
        "needs_review",
    },
}
KINDS = {"action", "say", "sms", "memo", "post", "payout", "check"}
TEMPLATES = {t.name: t for t in CATALOGUE}


class AnyRouteEnv:
    """Answers every route question: lead-only for some keys, none at all for others."""

    def __init__(self):
        self.static = StaticEnv(campaigns=(SEED_CAMPAIGN,))

    def active_campaign(self, code, at):
        return self.static.active_campaign(code, at)

    def route_for(self, **key):
        signature = repr(sorted((k, v) for k, v in key.items() if k != "at"))
        if hash(signature) % 5 == 0:
            raise PlaybookError("경로가 없습니다")
        kinds = ("slack", "email", "agit", "partner_web", "amano_share", "app_direct", "hotline")
        kind = kinds[len(signature) % len(kinds)]
        return RouteInfo(
            route_id=len(signature),
            channel_kind=kind,
            channel_target="대상",
            recipients_to=("to@partner.example",) if kind == "email" else (),
            recipients_cc=(),
            procedure="처리방법 @owner8 멘션",
            allowed_roles=ALL if len(signature) % 2 else frozenset({"team_lead", "deputy_lead"}),
        )


def assert_well_formed(code: str, p: Proposal) -> None:
    from templates_app.render import render_sms

    assert isinstance(p, Proposal)
    assert p.playbook == code and p.version == PLAYBOOKS[code].VERSION
    assert p.outcome in OUTCOMES[code]
    assert p.reason and isinstance(p.reason, str)
    assert isinstance(p.consultation_type, tuple) and all(p.consultation_type)
    if p.outcome != "rejected_other_inquiry":  # that one takes the agent's 2nd/3rd depth
        assert p.consultation_type in all_paths()
    assert p.steps
    for s in p.steps:
        assert s.code and s.label and s.kind in KINDS
        assert s.roles and s.roles <= ALL
        assert s.waits_on is None or s.waits_on in WAITS_ON
    assert len({s.code for s in p.steps}) == len(p.steps)
    assert p.result_type is None or p.result_type in RESULT_TYPES
    for m in p.messages:
        assert_message_matches_catalogue(m)
        template = TEMPLATES[m.template]
        rendered = render_sms(body=template.body, variables=template.variables, context=m.context)
        assert rendered.within_alimtalk_limit
    if p.record is not None:
        assert p.record.title and p.record.inquiry
    dataclasses.asdict(p)  # a tree of plain values


def assert_message_matches_catalogue(m: MessageSpec) -> None:
    assert m.template in TEMPLATES, m.template
    template = TEMPLATES[m.template]
    assert template.audience == m.audience, m.template
    assert set(m.context) == set(template.variables), m.template


# --------------------------------------------------------------------------- registry


def test_registry_holds_the_playbooks_with_their_contract():
    assert set(OUTCOMES) <= set(PLAYBOOKS)  # traffic_fine (seed 004) is tested on its own
    for code in OUTCOMES:
        module = PLAYBOOKS[code]
        assert code == module.CODE
        assert isinstance(module.VERSION, str) and module.VERSION
        assert issubclass(module.FACTS, serializers.Serializer)
        assert callable(module.propose)
        for name, field in module.FACTS().fields.items():
            assert field.label and any("\uac00" <= ch <= "\ud7a3" for ch in field.label), name


def test_unknown_playbook():
    with pytest.raises(UnknownPlaybook) as exc:
        get_playbook("traffic_fines")
    assert "알 수 없는 플레이북" in str(exc.value)
    with pytest.raises(UnknownPlaybook):
        evaluate("nope", {}, kst(2024, 12, 1, 9, 0), StaticEnv())


def test_evaluate_validates_then_proposes():
    with pytest.raises(ValidationError) as exc:
        evaluate("ev_charging", {}, kst(2025, 4, 1, 9, 0), StaticEnv())
    assert exc.value.detail["case_type"][0] == "문의 유형: 필수 항목입니다."
    with pytest.raises(ValidationError) as exc:
        evaluate("ev_charging", ["not", "an", "object"], kst(2025, 4, 1, 9, 0), StaticEnv())
    assert "객체" in str(exc.value.detail["non_field_errors"][0])


def test_evaluate_refuses_a_naive_moment():
    with pytest.raises(ValueError):
        evaluate(
            "ev_charging", {"case_type": "charged_not_paid"}, datetime(2025, 4, 1), StaticEnv()
        )


# --------------------------------------------------------------------------- property


def _value_strategy(field: serializers.Field, *, with_junk: bool = True):
    junk = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.text(max_size=12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.integers(), max_size=2),
    )
    if isinstance(field, serializers.ChoiceField):
        good = st.sampled_from(list(field.choices))
    elif isinstance(field, serializers.BooleanField):
        good = st.one_of(st.booleans(), st.none()) if field.allow_null else st.booleans()
    elif isinstance(field, serializers.IntegerField):
        good = st.integers(-5, 400_000)
    elif isinstance(field, serializers.DecimalField):
        good = st.one_of(
            st.sampled_from(["0.0", "0", "0.1", "3.4", "12.5"]),
            st.decimals(min_value=0, max_value=999, places=field.decimal_places).map(str),
        )
    elif isinstance(field, serializers.DateTimeField):
        good = st.datetimes(
            min_value=datetime(2024, 11, 20),
            max_value=datetime(2025, 1, 10),
            timezones=st.just(UTC),
        ).map(lambda d: d.isoformat())
    elif isinstance(field, serializers.DateField):
        good = st.dates(min_value=date(2024, 11, 1), max_value=date(2025, 4, 30)).map(str)
    elif isinstance(field, serializers.RegexField):
        good = st.from_regex(r"\A\d{1,12}\Z")
    else:
        good = st.one_of(
            st.text(min_size=0, max_size=30), st.sampled_from(["서울 성북구", "공영주차장"])
        )
    return st.one_of(*([good] * 5), junk) if with_junk else good


#: A valid starting point per playbook; the property mutates it field by field.
BASELINES = {
    "parking_double_payment": {
        "lot_name": "한빛 주차장",
        "lot_district": "서울 강남구",
        "entry_at": "2024-12-03T14:05:00+09:00",
        "exit_at": "2024-12-03T17:05:00+09:00",
        "other_app": "modu",
        "reservation_history_attached": True,
        "payment_history_attached": True,
        "ticket_hours": 2,
        "pass_amount": 3000,
    },
    "driver_nonride_cancel": {
        "received_on": "2024-11-20",
        "driver_id": "D-1",
        "call_id": "700123",
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 23000,
        "called_on": "2024-11-19",
        "origin": "강남역",
    },
    "ev_charging": {
        "case_type": "paid_not_charged",
        "station_name": "판교",
        "charge_started_at": "2025-04-09T14:30:00+09:00",
        "charge_ended_at": "2025-04-09T15:00:00+09:00",
        "tid": "T1",
        "kwh": "0.000",
        "amount": 5000,
    },
    "parking_operations": {
        "request_kind": "midterm_cancel",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "integration": "linked",
        "topic": "fee",
        "new_car_number": "34나5678",
        "paid_amount": 150000,
        "start_date": "2025-03-01",
        "cancel_date": "2025-03-10",
        "daily_max_fee": 10000,
    },
}


def facts_strategy(code: str, *, with_junk: bool = True):
    """Baseline facts with up to four fields replaced (by a good or a junk value) or dropped.

    Without junk, values are of the right type, so most draws reach ``propose``."""
    fields = PLAYBOOKS[code].FACTS().fields
    base = BASELINES[code]
    names = sorted(fields)

    def change(name):
        return st.one_of(
            *(
                [_value_strategy(fields[name], with_junk=with_junk).map(lambda v: (name, "set", v))]
                * 3
            ),
            st.just((name, "drop", None)),
        )

    def build(changes):
        data = dict(base)
        for name, what, value in changes:
            if what == "set":
                data[name] = value
            else:
                data.pop(name, None)
        return data

    picked = st.lists(st.sampled_from(names), max_size=4, unique=True)
    return picked.flatmap(lambda chosen: st.tuples(*(change(n) for n in chosen))).map(build)


@pytest.mark.parametrize("code", sorted(OUTCOMES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_facts_give_a_validation_error_or_a_well_formed_proposal(code, data):
    facts = data.draw(st.booleans().flatmap(lambda junk: facts_strategy(code, with_junk=junk)))
    at = data.draw(
        st.datetimes(
            min_value=datetime(2024, 11, 1), max_value=datetime(2025, 2, 1), timezones=st.just(UTC)
        )
    )
    try:
        proposal = evaluate(code, facts, at, AnyRouteEnv())
    except ValidationError as exc:
        assert isinstance(exc.detail, dict) and exc.detail
        return
    assert_well_formed(code, proposal)


# --------------------------------------------------------------------------- messages vs catalogue


def _branch_samples():
    """One evaluation per message-emitting branch, so the catalogue check sees every name."""
    env = StaticEnv(campaigns=(SEED_CAMPAIGN,))
    inside, outside = kst(2024, 12, 5, 10, 0), kst(2025, 1, 5, 10, 0)
    parking = {
        "lot_name": "한빛 주차장",
        "lot_district": "서울 강남구",
        "entry_at": "2024-12-03T14:05:00+09:00",
        "exit_at": "2024-12-03T15:05:00+09:00",
        "other_app": "modu",
        "reservation_history_attached": True,
        "payment_history_attached": True,
        "ticket_hours": 2,
        "pass_amount": 3000,
        "car_number": "12가3456",
    }
    for at in (inside, outside):
        for channel in ("chat", "chatbot_board"):
            for over in (
                {},
                {"exit_at": "2024-12-03T18:05:00+09:00"},
                {"bought_after_entry_label": True},
                {"ticket_car_number": "34나5678"},
                {"bought_after_entry_label": True, "onsite_check_needed": True},
                {"exit_at": "2024-12-03T18:05:00+09:00", "onsite_check_needed": True},
                {"payment_history_attached": False},
                {"lot_name": "성북 공영주차장", "lot_district": "서울 성북구"},
                {"lot_name": "속초 공영주차장", "lot_district": "강원 속초시"},
            ):
                yield "parking_double_payment", dict(parking, channel=channel, **over), at, env
    # Seed 000 strikes "사용기한 : ~~24.12.31까지~~": the coupon SMS carries an expiry only
    # when a lead sets one on the campaign (the "_사용기한" templates).
    expiry_env = StaticEnv(
        campaigns=(dataclasses.replace(SEED_CAMPAIGN, coupon_expires_on=date(2024, 12, 31)),)
    )
    for over in (
        {},
        {"exit_at": "2024-12-03T18:05:00+09:00"},
        {"bought_after_entry_label": True},
    ):
        yield (
            "parking_double_payment",
            dict(parking, channel="chatbot_board", **over),
            inside,
            expiry_env,
        )
    driver = {
        "received_on": "2024-11-20",
        "driver_id": "D-1",
        "call_id": "700123",
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 23000,
        "called_on": "2024-11-19",
        "origin": "강남역",
    }
    for over in (
        {},
        {"meter_distance_km": "3.1", "meter_minutes": 9},
        {"already_cancelled": True, "cancelled_on": "2024-11-18", "cancelled_amount": 18000},
        {"inquiry_kind": "other", "other_inquiry_summary": "포인트"},
        {"has_open_duplicate": True, "duplicate_received_on": "2024-11-15", "duplicate_ref": "1"},
    ):
        yield "driver_nonride_cancel", dict(driver, **over), inside, env
    ev = {
        "station_name": "판교",
        "charge_started_at": "2025-04-09T14:30:00+09:00",
        "charge_ended_at": "2025-04-09T15:00:00+09:00",
        "tid": "T1",
        "kwh": "0.000",
        "amount": 5000,
    }
    for case, answer in (
        ("paid_not_charged", "cancelled"),
        ("paid_not_charged", "charge_confirmed"),
        ("postbill_before_payment", "excluded"),
        ("postbill_after_payment", "cancelled"),
    ):
        yield "ev_charging", dict(ev, case_type=case, team_answer=answer), inside, env


def test_every_message_a_playbook_emits_matches_its_catalogue_template():
    seen: set[str] = set()
    for code, facts, at, env in _branch_samples():
        proposal = evaluate(code, facts, at, env)
        assert_well_formed(code, proposal)
        for m in proposal.messages:
            assert_message_matches_catalogue(m)
            seen.add(m.template)
    # Every seed-000/002/003 template is reachable from some branch.
    playbook_services = {"parking", "ev"}
    reachable = {
        t.name
        for t in CATALOGUE
        if t.service in playbook_services
        or t.name.endswith(("(승인)", "O", "기처리", "다른문의", "중복접수"))
    }
    assert reachable <= seen, reachable - seen


def test_dates_in_messages_are_dates_not_datetimes():
    for code, facts, at, env in _branch_samples():
        for m in evaluate(code, facts, at, env).messages:
            for name, value in m.context.items():
                kind = TEMPLATES[m.template].variables[name]
                if kind in ("date_md", "date_ymd"):
                    assert type(value) is date, (m.template, name)
                if kind == "amount":
                    assert type(value) is int and value >= 0
                if kind == "datetime":
                    assert value.tzinfo is not None and value.utcoffset() == timedelta(hours=9)
                assert not isinstance(value, Decimal)
