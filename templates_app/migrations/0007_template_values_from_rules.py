"""Issue 15 A.2: the coupon link and the 성북구 control center's name and phone leave the SMS
bodies; the playbook fills ``{{ coupon_link }}`` (rules.CenterSettings) and ``{{ center_name }}``
/ ``{{ center_phone }}`` (rules.LotRule) from the rows a lead edits.

On a database seeded before this change, each affected template whose approved version is still
the catalogue's old text (the literal values in place of the variables) gets the new text as a
new approved version (the old one retired, both on the history). A template a lead has edited
is left alone and reported by ``kmcs_bootstrap`` as differing: the lead moves it by hand.
A fresh database already has the new text (0002 reads the catalogue when it runs).
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

#: variable -> the literal the old bodies carried (the seed's values).
OLD_VALUES = {
    "coupon_link": "https://t.kakao.com/launch?page=coupon",
    "center_name": "성북구통합관제센터",
    "center_phone": "02-6925-0023",
}


def _old(body, variables):
    old_body = body
    for name, literal in OLD_VALUES.items():
        old_body = old_body.replace("{{ %s }}" % name, literal)
    old_vars = {k: v for k, v in variables.items() if k not in OLD_VALUES}
    return old_body, old_vars


def _history(model, obj, *, using, at, kind, reason):
    values = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if any(h.attname == f.attname for h in model._meta.concrete_fields)
    }
    model.objects.db_manager(using).create(
        **values, history_date=at, history_type=kind, history_change_reason=reason
    )


def forwards(apps, schema_editor):
    from templates_app.catalogue import CATALOGUE

    using = schema_editor.connection.alias
    template_model = apps.get_model("templates_app", "SmsTemplate")
    version_model = apps.get_model("templates_app", "SmsTemplateVersion")
    version_history = apps.get_model("templates_app", "HistoricalSmsTemplateVersion")
    versions = version_model.objects.db_manager(using)
    now = timezone.now()
    for definition in CATALOGUE:
        if not any("{{ %s }}" % name in definition.body for name in OLD_VALUES):
            continue
        template = template_model.objects.db_manager(using).filter(code=definition.key).first()
        if template is None:
            continue
        approved = versions.filter(template=template, status="approved").first()
        if approved is None or (approved.body, approved.variables) != _old(
            definition.body, dict(definition.variables)
        ):
            continue
        approved.status = "retired"
        approved.retired_at = now
        approved.save(using=using)
        _history(
            version_history, approved, using=using, at=now, kind="~", reason="새 버전으로 교체"
        )
        number = versions.filter(template=template).aggregate(n=Max("number"))["n"] + 1
        new = versions.create(
            template=template,
            number=number,
            body=definition.body,
            variables=dict(definition.variables),
            status="approved",
            approved_at=now,
        )
        _history(
            version_history,
            new,
            using=using,
            at=now,
            kind="+",
            reason="쿠폰 링크·관제센터 연락처를 센터 설정·주차장 규칙에서 채움 (issue 15)",
        )


class Migration(migrations.Migration):
    dependencies = [("templates_app", "0006_outbox_delivery_reports")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
