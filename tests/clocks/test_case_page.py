"""The case page shows each running clock with its due time and the pause control."""

from django.urls import reverse

from cases.models import StepClock


def test_case_page_shows_clocks_with_due_time(client, staff, decided_case):
    case = decided_case()
    clocks = list(StepClock.objects.filter(step__case=case))
    assert clocks, "the fake playbook's waiting steps start clocks"
    client.force_login(staff.agent)
    html = client.get(reverse("workspace:case", args=[case.pk])).content.decode()
    assert 'id="clocks"' in html
    assert "처리 기한" in html
    for clock in clocks:
        assert clock.step.label in html
    assert "남은 시간" in html


def test_case_page_shows_no_clock_panel_rows_before_a_decision(client, staff, clock_playbook):
    from cases.services import case_create

    case = case_create(
        playbook=clock_playbook.CODE,
        facts={"call_id": "5999001"},
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
    ).case
    client.force_login(staff.lead)
    html = client.get(reverse("workspace:case", args=[case.pk])).content.decode()
    assert "기한이 있는 단계가 없습니다." in html
