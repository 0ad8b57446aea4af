"""The dashboard's filter: a date range (Seoul calendar days, both ends included) and a
playbook. Bad input is answered in Korean, never with an empty chart."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import PlaybookCode

#: The longest range one page aggregates: two calendar years (a lead compares year on year).
MAX_YEARS = 2
DEFAULT_DAYS = 30


def years_later(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("시작일"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("시작일을 입력해 주세요."),
            "invalid": _("시작일 형식이 올바르지 않습니다 (YYYY-MM-DD)."),
        },
    )
    date_to = forms.DateField(
        label=_("종료일"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("종료일을 입력해 주세요."),
            "invalid": _("종료일 형식이 올바르지 않습니다 (YYYY-MM-DD)."),
        },
    )
    playbook = forms.ChoiceField(
        label=_("플레이북"),
        required=False,
        choices=[("", _("전체"))] + list(PlaybookCode.choices),
        error_messages={"invalid_choice": _("알 수 없는 플레이북입니다.")},
    )

    @classmethod
    def from_query(cls, params, *, today: date | None = None) -> DashboardFilterForm:
        """Bound to the query string; an empty query is the last 30 days, all playbooks."""
        if not any(params.get(name) for name in ("date_from", "date_to", "playbook")):
            start, end = default_range(today)
            return cls({"date_from": start.isoformat(), "date_to": end.isoformat()})
        return cls(params)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(
                    _(
                        "종료일(%(end)s)이 시작일(%(start)s)보다 빠릅니다. 기간을 다시 선택해 주세요."
                    ),
                    code="reversed",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                )
            if end > years_later(start, MAX_YEARS):
                raise forms.ValidationError(
                    _("조회 기간은 최대 %(years)s년입니다. 기간을 줄여 주세요."),
                    code="too_long",
                    params={"years": MAX_YEARS},
                )
        return data
