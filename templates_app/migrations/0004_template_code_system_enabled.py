"""Templates get a stable key, a sending system and a lead's on/off switch (issue 15 B 002/004).

- ``code``: the key playbooks and services find a template by, filled from today's CEMS name
  (every MessageSpec names a template by that string), so the CEMS ``name`` becomes data a lead
  may correct in the admin. The history rows get the same key.
- ``sending_system``: CEMS, except the seed 004 driver SMS "포인트 차감 예정 SMS 전송 - 콜 ID
  기재 MCRM에서 발송".
- ``enabled``: on, except catalogue entries declared off (a message the seed does not prescribe).
"""

from django.db import migrations, models


def fill(apps, schema_editor):
    from templates_app.catalogue import CATALOGUE

    alias = schema_editor.connection.alias
    by_name = {definition.name: definition for definition in CATALOGUE}
    template_model = apps.get_model("templates_app", "SmsTemplate")
    history_model = apps.get_model("templates_app", "HistoricalSmsTemplate")
    for template in template_model.objects.using(alias).all():
        definition = by_name.get(template.name)
        template.code = definition.key if definition else template.name
        if definition is not None:
            template.sending_system = definition.sending_system
            template.enabled = definition.enabled
        template.save(update_fields=["code", "sending_system", "enabled"])
        history_model.objects.using(alias).filter(id=template.pk).update(
            code=template.code,
            sending_system=template.sending_system,
            enabled=template.enabled,
        )


FIELD_HELP = "플레이북이 템플릿을 찾는 키 (등록 후 바뀌지 않음)."
ENABLED = models.BooleanField(
    default=True,
    help_text=(
        "끄면 이 템플릿의 문자는 새 결정의 계획에 들어가지 않습니다 (시드가 정하지 않은 문자는 "
        "팀장이 켜야 쓰입니다)."
    ),
    verbose_name="사용 (팀장 설정)",
)
SYSTEM = models.CharField(
    choices=[("cems", "CEMS"), ("mcrm", "MCRM")],
    default="cems",
    help_text="이 템플릿의 문자를 내보내는 시스템 (시스템마다 발송 게이트웨이가 다름).",
    max_length=8,
    verbose_name="발송 시스템",
)


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0003_message_plan_step"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsmstemplate",
            name="code",
            field=models.CharField(
                db_index=True,
                default="",
                help_text=FIELD_HELP,
                max_length=200,
                verbose_name="고정 키",
            ),
            preserve_default=False,
        ),
        migrations.AddField(model_name="historicalsmstemplate", name="enabled", field=ENABLED),
        migrations.AddField(
            model_name="historicalsmstemplate", name="sending_system", field=SYSTEM
        ),
        migrations.AddField(
            model_name="smstemplate",
            name="code",
            field=models.CharField(
                null=True, help_text=FIELD_HELP, max_length=200, verbose_name="고정 키"
            ),
        ),
        migrations.AddField(model_name="smstemplate", name="enabled", field=ENABLED),
        migrations.AddField(model_name="smstemplate", name="sending_system", field=SYSTEM),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
