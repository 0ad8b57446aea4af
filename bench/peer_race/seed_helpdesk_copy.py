"""Seed N tickets into the peer django-helpdesk 2.6.1 (PostgreSQL only), fast, with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_race \
        python seed_helpdesk_copy.py 100000

Run from the peer harness directory (the one holding manage.py and hdsite/). Adds N tickets
after the current maximum id. Shape chosen to mirror KMCS's generator (bench/seed_data.py):
- 5 queues with KMCS's playbook mix (32/25/16/15/12 %), 20 staff agents + superuser `lead`;
- created spread over the last 365 days, ids ascending with time;
- the newest 2 % open (Open 85 % / Reopened 15 %), the next 2 % Resolved, the rest Closed;
- a few follow-ups per ticket (opened; assignment with a TicketChange; an agent reply;
  resolution/closing with a status TicketChange): ~1.7 per open ticket, ~4 per closed one;
- the customer's phone (010-****-NNNN, NNNN uniform like KMCS's customer_phone_last4) in the
  description, so a 4-digit search term hits a few rows as KMCS's last-4 search does.
Rows go in by COPY with FK triggers skipped (session_replication_role = replica: ids are
consistent by construction); identity sequences are reset and VACUUM ANALYZE runs at the end.
"""

import os
import random
import sys
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdsite.settings")
import django

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import Queue  # noqa: E402

PASSWORD = os.environ.get("PEER_PASSWORD", "peer-race-2024!")
QUEUES = [  # slug, title, share (KMCS PLAYBOOK_MIX)
    ("driver", "대리 미운행 결제취소", 0.32),
    ("parking", "주차 이중결제", 0.25),
    ("fine", "과태료", 0.16),
    ("ev", "전기차 충전", 0.15),
    ("parkops", "주차 운영", 0.12),
]
OPEN_SHARE, RESOLVED_SHARE = 0.02, 0.02


def esc(value):
    if value is None:
        return r"\N"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def main():
    n = int(sys.argv[1])
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    User = get_user_model()
    lead, _ = User.objects.get_or_create(
        username="lead",
        defaults=dict(is_staff=True, is_superuser=True, email="lead@peer.example"),
    )
    lead.set_password(PASSWORD)
    lead.save()
    agents = []
    for i in range(20):
        a, _ = User.objects.get_or_create(
            username=f"agent{i}",
            defaults=dict(is_staff=True, email=f"agent{i}@peer.example", first_name=f"상담사{i}"),
        )
        agents.append(a)
    queues = []
    for slug, title, share in QUEUES:
        q, _ = Queue.objects.get_or_create(slug=slug, defaults=dict(title=title))
        queues.append((q.pk, title, share))
    qids = [q[0] for q in queues]
    qweights = [q[2] for q in queues]
    agent_ids = [a.pk for a in agents]
    agent_names = {a.pk: a.get_full_name() or a.username for a in agents}

    with connection.cursor() as c:
        c.execute("SELECT coalesce(max(id), 0) FROM helpdesk_ticket")
        base = c.fetchone()[0]
        c.execute("SELECT coalesce(max(id), 0) FROM helpdesk_followup")
        fu_id = c.fetchone()[0]
        c.execute("SELECT coalesce(max(id), 0) FROM helpdesk_ticketchange")
        tc_id = c.fetchone()[0]

    rnd = random.Random(7 + base)
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=365)
    span = 365 * 86400
    t0 = time.time()
    ticket_cols = (
        "id, title, created, modified, submitter_email, status, on_hold, description, "
        "resolution, priority, due_date, last_escalation, assigned_to_id, queue_id, "
        "secret_key, kbitem_id, merged_to_id"
    )
    fu_cols = (
        "id, date, title, comment, public, new_status, ticket_id, user_id, message_id, "
        "time_spent, email_recipients"
    )
    tc_cols = "id, field, old_value, new_value, followup_id"
    raw = connection.connection  # psycopg 3 connection
    with raw.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
    open_from = int(n * (1 - OPEN_SHARE))
    resolved_from = int(n * (1 - OPEN_SHARE - RESOLVED_SHARE))
    for s in range(0, n, chunk):
        tickets, fus, tcs = [], [], []
        for k in range(s, min(n, s + chunk)):
            tid = base + k + 1
            created = start + timedelta(seconds=int(span * k / n) + rnd.randint(0, 59))
            qi = rnd.choices(range(len(qids)), qweights)[0]
            qid, qtitle = qids[qi], QUEUES[qi][1]
            last4 = f"{rnd.randint(0, 9999):04d}"
            if k >= open_from:
                status = 1 if rnd.random() < 0.85 else 2
                assignee = rnd.choice(agent_ids) if rnd.random() < 0.5 else None
            elif k >= resolved_from:
                status, assignee = 3, rnd.choice(agent_ids)
            else:
                status, assignee = 4, rnd.choice(agent_ids)
            desc = (
                f"{qtitle} 문의입니다. 고객 연락처 010-****-{last4}. "
                "운행하지 않았는데 결제되었어요. 확인 부탁드립니다."
            )
            resolution = "정책에 따라 처리 완료 안내" if status in (3, 4) else None
            modified = created + timedelta(hours=rnd.randint(1, 72)) if status != 1 else created
            tickets.append(
                "\t".join(
                    esc(v)
                    for v in (
                        tid,
                        f"{qtitle} 요청 #{tid}",
                        created.isoformat(),
                        modified.isoformat(),
                        f"c{tid}@example.com",
                        status,
                        "f",
                        desc,
                        resolution,
                        rnd.choice([3, 3, 3, 2, 4, 1, 5]),
                        None,
                        None,
                        assignee,
                        qid,
                        str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                        None,
                        None,
                    )
                )
            )

            def fu(date, title, comment, new_status, user_id):
                nonlocal fu_id
                fu_id += 1
                fus.append(
                    "\t".join(
                        esc(v)
                        for v in (
                            fu_id,
                            date.isoformat(),
                            title,
                            comment,
                            "t",
                            new_status,
                            tid,
                            user_id,
                            None,
                            None,
                            None,
                        )
                    )
                )
                return fu_id

            def tc(followup, field, old, new):
                nonlocal tc_id
                tc_id += 1
                tcs.append("\t".join(esc(v) for v in (tc_id, field, old, new, followup)))

            fu(created, "Ticket Opened", desc, None, None)
            if assignee:
                f = fu(
                    created + timedelta(minutes=5),
                    f"Assigned to {agent_names[assignee]}",
                    "",
                    None,
                    lead.pk,
                )
                tc(f, "Owner", "Unassigned", agent_names[assignee])
                if status != 1 or rnd.random() < 0.5:
                    fu(
                        created + timedelta(minutes=40),
                        "Comment",
                        "확인 중입니다. 결제 내역을 조회하고 있습니다.",
                        None,
                        assignee,
                    )
            if status in (3, 4):
                f = fu(
                    modified, "Resolved" if status == 3 else "Closed", resolution, status, assignee
                )
                tc(f, "Status", "Open", "Resolved" if status == 3 else "Closed")
        with raw.cursor() as cur:
            with cur.copy(f"COPY helpdesk_ticket ({ticket_cols}) FROM STDIN") as cp:
                cp.write("\n".join(tickets) + "\n")
            with cur.copy(f"COPY helpdesk_followup ({fu_cols}) FROM STDIN") as cp:
                cp.write("\n".join(fus) + "\n")
            if tcs:
                with cur.copy(f"COPY helpdesk_ticketchange ({tc_cols}) FROM STDIN") as cp:
                    cp.write("\n".join(tcs) + "\n")
        raw.commit()
        done = min(n, s + chunk)
        print(f"  {done:,}/{n:,} tickets  {time.time() - t0:.1f}s", flush=True)
    with raw.cursor() as cur:
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("helpdesk_ticket", "helpdesk_followup", "helpdesk_ticketchange"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    raw.commit()
    raw.autocommit = True
    with raw.cursor() as cur:
        t1 = time.time()
        cur.execute("VACUUM ANALYZE")
        vac = time.time() - t1
        cur.execute(
            "SELECT (SELECT count(*) FROM helpdesk_ticket), (SELECT count(*) FROM helpdesk_followup),"
            " (SELECT count(*) FROM helpdesk_ticketchange),"
            " (SELECT count(*) FROM helpdesk_ticket WHERE status IN (1, 2))"
        )
        t, f, c, o = cur.fetchone()
    print(
        f"tickets={t:,} followups={f:,} ticketchanges={c:,} open(1,2)={o:,} "
        f"in {time.time() - t0:.1f}s (vacuum analyze {vac:.1f}s)"
    )


if __name__ == "__main__":
    main()
