"""Partial indexes the queue reads in order, one page at a time (issue 17.3)."""

from django.db import migrations, models

QUEUE = ("new", "in_progress", "waiting", "decided")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_email_agit_webhook"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True), ("status__in", QUEUE)),
                fields=["created_at", "id"],
                name="case_queue_unassigned",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("assignee__isnull", False), ("status__in", QUEUE)),
                fields=["created_at", "id"],
                name="case_queue_assigned",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status__in", QUEUE)),
                fields=["assignee", "created_at", "id"],
                name="case_queue_assignee",
            ),
        ),
    ]
