"""Full phone numbers, for the few who may see them, each look logged."""

from __future__ import annotations

from django.db import transaction

from cases.exceptions import FactsInvalid
from cases.models import Case, UnmaskLog
from cases.services._common import moment, require

UNMASKABLE = {"customer_phone": "고객 전화번호", "driver_phone": "기사 전화번호"}


@transaction.atomic
def case_phone_unmask(
    *, case: Case, actor, field: str = "customer_phone", reason: str, at=None
) -> str:
    """The full number of ``field`` (``010-0000-1234``), logged in :class:`UnmaskLog`.

    Leads and managers only (``cases.case.unmask``); a reason is required.
    """
    require(actor, "cases.case.unmask", case, message="전화번호 전체를 볼 권한이 없습니다.")
    if field not in UNMASKABLE:
        raise FactsInvalid({"field": [f"조회할 수 없는 항목입니다: {field}"]})
    if not (reason or "").strip():
        raise FactsInvalid({"reason": ["전화번호를 조회하는 사유를 입력해 주세요."]})
    UnmaskLog.objects.create(case=case, field=field, reason=reason.strip(), by=actor, at=moment(at))
    from templates_app.phones import format_phone

    value = getattr(case, field)
    return format_phone(value) if value else ""
