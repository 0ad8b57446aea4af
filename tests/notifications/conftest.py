"""Fixtures of the notification tests: the cases core's staff and case factory (fake playbook),
reused as they are, so notifications are made by the same services users call."""

from tests.cases.conftest import fake_playbook, make_case, sms_templates, staff  # noqa: F401
