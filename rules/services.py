"""Writes of the center settings: validated (Korean errors), saved whole or not at all, with the
acting user on the history row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import CenterSettings, LotRule


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


@transaction.atomic
def lot_rule_save(*, instance: LotRule, actor) -> LotRule:
    """A lot rule (seed 000) saved whole or not at all: validated in Korean, its period checked
    against the other rows of its code under a lock (two leads saving overlapping periods at
    once: the second is refused)."""
    list(LotRule.objects.select_for_update().filter(code=instance.code))
    instance.full_clean()
    instance._history_user = actor
    instance.save()
    return instance
