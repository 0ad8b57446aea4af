"""partners rows of the ACTIONS table and the route object rule (seed 001's 변경권한)."""

from __future__ import annotations

import pytest

from kmcs_site.permissions import ACTIONS, user_can
from partners.models import Route
from partners.selectors import route_info

pytestmark = pytest.mark.django_db


def test_partners_actions_are_in_the_one_table():
    for model in ("partner", "site", "channel", "contact", "route"):
        assert ACTIONS[f"partners.{model}.change"] == {"team_lead", "deputy_lead", "manager"}
        assert ACTIONS[f"partners.{model}.delete"] == {"team_lead", "deputy_lead"}
        assert "agent" in ACTIONS[f"partners.{model}.view"]
        assert "auditor" in ACTIONS[f"partners.{model}.view"]
    assert ACTIONS["partners.route.execute"] == {"agent", "team_lead", "deputy_lead", "manager"}
    assert ACTIONS["partners.refund.calculate"] == {"agent", "team_lead", "deputy_lead", "manager"}


EXPECTED = {
    # role: (may carry out an "All" route, may carry out a "팀장, 부팀장" route)
    "agent": (True, False),
    "team_lead": (True, True),
    "deputy_lead": (True, True),
    "manager": (True, False),
    "auditor": (False, False),
    "integration": (False, False),
    "anonymous": (False, False),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_route_execute_follows_the_routes_allowed_roles(role_users, role):
    everyone = Route.objects.get(seed_key="t4.kmpns.onsite_payment_cancel")  # All
    leads_only = Route.objects.get(seed_key="t4.kmpark.onsite_payment_cancel")  # 팀장, 부팀장
    user = role_users[role]

    got = (
        user_can(user, "partners.route.execute", everyone),
        user_can(user, "partners.route.execute", leads_only),
    )

    assert got == EXPECTED[role]
    # The playbooks hold RouteInfo, not the model: same answer.
    assert (
        user_can(user, "partners.route.execute", route_info(everyone)),
        user_can(user, "partners.route.execute", route_info(leads_only)),
    ) == EXPECTED[role]


def test_refund_calculation_is_for_agents_not_auditors(role_users):
    assert user_can(role_users["agent"], "partners.refund.calculate")
    assert not user_can(role_users["auditor"], "partners.refund.calculate")
