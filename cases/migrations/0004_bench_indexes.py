"""Issue 7: two indexes the 1M-case benchmark showed missing (README, "Performance").

1. ``cases_historicalcase (id, history_date, history_id)``. simple-history indexes ``id`` alone:
   the admin history page of a case with 10,000 versions read and sorted every version to show
   100 (~220 ms of SQL at 1M cases; with this index ~1 ms). The same order serves the
   auditor's per-case history and the audit trail's "previous version" lookups. SQL rather
   than ``AddIndex``: simple-history generates the historical model and offers no way to
   declare a composite index on it.
2. ``cases_stepclock (due_at, id)`` for running clocks already marked overdue: the queue's
   "my overdue steps" panel (``cases.dashboard.selectors``) scanned and sorted every overdue
   clock of the center to keep an agent's first 11 (41-366 ms with ~12,000 overdue clocks;
   with this index ~1 ms: an ordered scan that stops early). It may move to
   ``StepClock.Meta.indexes`` with the clocks' next migration; until then it lives here.

Both statements are plain SQL that PostgreSQL and SQLite accept; neither index changes the
migration state, so ``makemigrations`` has nothing to detect.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_step_clocks"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX cases_hist_case_version "
                "ON cases_historicalcase (id, history_date, history_id)"
            ),
            reverse_sql="DROP INDEX cases_hist_case_version",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX clock_open_overdue_due ON cases_stepclock (due_at, id) "
                "WHERE overdue_marked_at IS NOT NULL AND stopped_at IS NULL"
            ),
            reverse_sql="DROP INDEX clock_open_overdue_due",
        ),
    ]
