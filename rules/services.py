"""Writes of the center settings: validated (Korean errors), saved whole or not at all, with the
acting user on the history row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import CenterSettings


@transaction.atomic
def center_settings_save(*, instance: CenterSettings, actor) -> CenterSettings:
    instance.full_clean()
    instance._history_user = actor
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError(
            _("같은 시각의 설정이 동시에 저장되었습니다. 새로 고친 뒤 다시 확인하세요.")
        ) from exc
    return instance


def center_settings_create(*, actor, **fields) -> CenterSettings:
    """A change for later: a new row in force from ``effective_from``."""
    return center_settings_save(instance=CenterSettings(**fields), actor=actor)
