import pytest
pytestmark = pytest.mark.django_db
def test_dbg(staff, make_case):
    from kmcs_site.permissions import user_can, OBJECT_RULES
    c = make_case(assignee=staff.agent)
    print("rule", OBJECT_RULES.get("cases.case.view"), c.assignee_id, staff.agent.pk)
    print(user_can(staff.agent, "cases.case.view", c), user_can(staff.agent, "cases.case.change", c))
    from cases.access import agent_may_work
    print(agent_may_work(staff.agent, c))
    assert 0
