"""``SmsTemplate.code`` is required and unique once 0004 filled it (a separate migration: on
PostgreSQL a table altered in the transaction that updated its rows may refuse the ALTER)."""

from django.db import migrations, models

FIELD_HELP = "플레이북이 템플릿을 찾는 키 (등록 후 바뀌지 않음)."


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0004_template_code_system_enabled"),
    ]

    operations = [
        migrations.AlterField(
            model_name="smstemplate",
            name="code",
            field=models.CharField(
                help_text=FIELD_HELP, max_length=200, unique=True, verbose_name="고정 키"
            ),
        ),
    ]
