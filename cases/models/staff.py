"""Which services an agent works: decides the unassigned cases their queue shows."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import Service


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("사용자"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    #: Service codes (parking / driver / ev). A list, read once per request with the user.
    services = models.JSONField(_("담당 서비스"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("상담사 프로필")
        verbose_name_plural = _("상담사 프로필")

    def __str__(self) -> str:
        labels = ", ".join(str(Service(s).label) for s in self.services if s in Service.values)
        return f"{self.user} ({labels or '-'})"

    def clean(self):
        if not isinstance(self.services, list) or any(
            s not in Service.values for s in self.services
        ):
            raise ValidationError(
                {"services": _("담당 서비스는 주차, 대리, 전기차충전 중에서 고르세요.")}
            )
        self.services = sorted(set(self.services))
