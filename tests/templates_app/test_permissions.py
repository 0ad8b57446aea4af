"""The templates_app rows of the ACTIONS table, as the issue specifies them."""

import pytest

from kmcs_site.permissions import ACTIONS, ALL_AGENTS, LEADS_AND_MANAGER, READERS, Role

EXPECTED = {
    "templates_app.smstemplate.view": READERS,
    "templates_app.smstemplate.add": LEADS_AND_MANAGER,
    "templates_app.smstemplate.change": LEADS_AND_MANAGER,
    "templates_app.smstemplate.delete": frozenset(),
    "templates_app.smstemplate.approve": LEADS_AND_MANAGER,
    "templates_app.smstemplate.preview": ALL_AGENTS,
    "templates_app.smstemplateversion.view": READERS,
    "templates_app.smstemplateversion.add": LEADS_AND_MANAGER,
    "templates_app.smstemplateversion.change": LEADS_AND_MANAGER,
    "templates_app.smstemplateversion.delete": frozenset(),
    "templates_app.outboundmessage.view": READERS,
    "templates_app.outboundmessage.add": frozenset(),
    "templates_app.outboundmessage.change": frozenset(),
    "templates_app.outboundmessage.delete": frozenset(),
    "templates_app.outboundmessage.retry": LEADS_AND_MANAGER,
    # Issue 16: a dead-lettered message (every transient attempt used) is sent again by a lead.
    "templates_app.outboundmessage.retry_dead_letter": LEADS_AND_MANAGER,
    "templates_app.outboundmessage.mark_sent_by_hand": ALL_AGENTS,
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_templates_app_actions(action):
    assert ACTIONS[action] == EXPECTED[action]


def test_no_other_templates_app_actions():
    assert {a for a in ACTIONS if a.startswith("templates_app.")} == set(EXPECTED)


def test_integration_role_has_no_templates_app_action():
    assert not any(
        Role.INTEGRATION in roles for a, roles in ACTIONS.items() if a.startswith("templates_app.")
    )
