"""Delivery reports on the outbox (report status, the provider's code, when) and the dead-letter
status for messages whose transient failures used up every attempt (issue 16)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0005_template_code_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaloutboundmessage",
            name="report_code",
            field=models.CharField(blank=True, max_length=32, verbose_name="발송사 결과 코드"),
        ),
        migrations.AddField(
            model_name="historicaloutboundmessage",
            name="report_message",
            field=models.CharField(blank=True, max_length=200, verbose_name="발송사 결과 설명"),
        ),
        migrations.AddField(
            model_name="historicaloutboundmessage",
            name="report_status",
            field=models.CharField(
                blank=True,
                choices=[("delivered", "수신 완료"), ("failed", "수신 실패")],
                default="",
                max_length=16,
                verbose_name="수신 결과",
            ),
        ),
        migrations.AddField(
            model_name="historicaloutboundmessage",
            name="reported_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="수신 결과 시각"),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="report_code",
            field=models.CharField(blank=True, max_length=32, verbose_name="발송사 결과 코드"),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="report_message",
            field=models.CharField(blank=True, max_length=200, verbose_name="발송사 결과 설명"),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="report_status",
            field=models.CharField(
                blank=True,
                choices=[("delivered", "수신 완료"), ("failed", "수신 실패")],
                default="",
                max_length=16,
                verbose_name="수신 결과",
            ),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="reported_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="수신 결과 시각"),
        ),
        migrations.AlterField(
            model_name="historicaloutboundmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("planned", "발송 전 (단계 대기)"),
                    ("cancelled", "발송 취소 (계획 변경)"),
                    ("queued", "발송 대기"),
                    ("sending", "발송 중"),
                    ("sent", "발송 완료"),
                    ("failed", "발송 실패"),
                    ("sent_by_hand", "수동 발송"),
                    ("dead_letter", "발송 보류 (재처리 대기)"),
                ],
                default="queued",
                max_length=16,
                verbose_name="상태",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("planned", "발송 전 (단계 대기)"),
                    ("cancelled", "발송 취소 (계획 변경)"),
                    ("queued", "발송 대기"),
                    ("sending", "발송 중"),
                    ("sent", "발송 완료"),
                    ("failed", "발송 실패"),
                    ("sent_by_hand", "수동 발송"),
                    ("dead_letter", "발송 보류 (재처리 대기)"),
                ],
                default="queued",
                max_length=16,
                verbose_name="상태",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(
                fields=["status", "report_status", "sent_at"], name="tpl_msg_report_idx"
            ),
        ),
    ]
