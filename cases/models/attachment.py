"""Evidence the customer sent, attached to a case (issue 14.4).

The seeds run on it: seed 000 asks for the other app's 이용내역 / 예약내역 / 결제내역, seed 003
for the charging receipt, seed 004 for the fine notice. The agent picks the *kind* at upload;
for the kinds a playbook asks for, the fact "첨부 여부" follows the attachments
(``cases.attachments.ATTACHMENT_FACTS``) instead of a checkbox.

The file lives in the ``attachments`` storage (file system by default, S3-compatible by
setting; ``kmcs_site/settings/base.py``) under a generated name: nothing of the client's file
name is kept (it can carry personal data, and its extension is the sender's choice). Its type
(``detected_format``) was read from its bytes at upload; it is served only through the
workspace, after the case's visibility check (``cases.views.attachments``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AttachmentStorage(Storage):
    """The storage alias ``attachments`` looked up at every call, not once at import: the
    backend is a setting (file system or S3) and a changed setting reaches it."""

    @staticmethod
    def backend() -> Storage:
        from django.core.files.storage import storages

        return storages["attachments"]

    def open(self, name, mode="rb"):
        return self.backend().open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend().save(name, content, max_length=max_length)

    def delete(self, name):
        return self.backend().delete(name)

    def exists(self, name):
        return self.backend().exists(name)

    def size(self, name):
        return self.backend().size(name)

    def url(self, name):
        return self.backend().url(name)

    def path(self, name):
        return self.backend().path(name)

    def listdir(self, path):
        return self.backend().listdir(path)

    def generate_filename(self, filename):
        return self.backend().generate_filename(filename)


def attachment_storage() -> Storage:
    """A callable, so migrations do not freeze the storage setting."""
    return AttachmentStorage()


class AttachmentKind(models.TextChoices):
    USAGE_HISTORY = "usage_history", _("이용내역 (타사 주차권)")
    RESERVATION_HISTORY = "reservation_history", _("예약내역 (모두의주차장)")
    PAYMENT_HISTORY = "payment_history", _("결제내역 (모두의주차장)")
    CHARGING_RECEIPT = "charging_receipt", _("충전 영수증")
    FINE_NOTICE = "fine_notice", _("과태료 고지서")
    OTHER = "other", _("기타")


class CaseAttachment(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    kind = models.CharField(_("종류"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(_("파일"), storage=attachment_storage, max_length=200)
    thumbnail = models.FileField(
        _("미리보기"), storage=attachment_storage, max_length=200, blank=True
    )
    #: Read from the bytes at upload: ``JPEG`` / ``PNG`` / ``GIF`` / ``WEBP`` / ``PDF``.
    detected_format = models.CharField(_("형식"), max_length=10, editable=False)
    size = models.PositiveIntegerField(_("크기 (바이트)"), editable=False)
    note = models.CharField(_("메모"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("첨부한 사람"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("첨부 시각"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("첨부파일")
        verbose_name_plural = _("첨부파일")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["case", "uploaded_at"], name="attachment_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.detected_format})"

    @property
    def is_image(self) -> bool:
        return self.detected_format != "PDF"
