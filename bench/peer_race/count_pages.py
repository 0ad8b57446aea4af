"""Choose the race's pages for one app and count their SQL (test Client + CaptureQueriesContext).

    # KMCS, from the KMCS checkout (its venv, bench settings):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kmcs_race DJANGO_SETTINGS_MODULE=bench.settings \
        .venv/bin/python PATH/TO/count_pages.py kmcs kmcs_pages.json
    # django-helpdesk, from the peer harness directory (the one with manage.py, hdsite/):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_race \
        PEER_VENV/bin/python PATH/TO/count_pages.py helpdesk hd_pages.json

Writes JSON: the login form, the users (with the password this script sets on them: own race
databases only), and per page its group (pages of the same group are raced against each
other), URL, user, SQL statements (transaction control not counted, as bench/run.py counts),
how its COUNT(*) statements are bounded (FULL = over the whole filtered table, no LIMIT), the
median SQL time of 5 captured requests (time inside cursor.execute, by an execute_wrapper) and the median
in-process request time of those 5 (test Client, same process: no HTTP).
"""

import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
APP = sys.argv[1]
OUT = sys.argv[2]
os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE", "hdsite.settings" if APP == "helpdesk" else "bench.settings"
)
import django  # noqa: E402

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

setup_test_environment()  # response.context for the helpdesk data URL
TX = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
User = get_user_model()
PASSWORDS = {"helpdesk": "peer-race-2024!", "kmcs": "kmcs-demo-2024!"}


def classify(statements):
    """COUNT(*) statements: capped (over a LIMIT subquery), scoped (one object's rows: a
    WHERE on one id) or FULL (every row of the list's filtered set, however large)."""
    kinds = []
    for sql in statements:
        up = sql.upper()
        if "COUNT(" not in up:
            continue
        if " LIMIT " in up:
            kinds.append("capped")
        elif re.search(r'WHERE \(?"\w+"\."(\w*_)?ID" = \d+\)?$', up):
            kinds.append("scoped")
        else:
            kinds.append("FULL")
    return ",".join(sorted(set(kinds))) or "-"


class SqlTimer:
    """Precise time spent in execute (CaptureQueriesContext rounds each query to 1 ms)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not sql.startswith(TX):
                self.seconds += time.perf_counter() - t0


def measure(client, url, expect_json_rows=None):
    sql_ms, wall_ms = [], []
    statements = []
    for i in range(6):
        timer = SqlTimer()
        with CaptureQueriesContext(connection) as cq, connection.execute_wrapper(timer):
            t0 = time.perf_counter()
            r = client.get(url)
            wall = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, (url, r.status_code)
        if i == 0:  # first one warms caches
            continue
        qs = [q for q in cq.captured_queries if not q["sql"].startswith(TX)]
        statements = [q["sql"] for q in qs]
        sql_ms.append(timer.seconds * 1000)
        wall_ms.append(wall)
    rows = None
    if expect_json_rows is not None:
        rows = len(json.loads(r.content)["data"])
    return dict(
        queries=len(statements),
        tx_statements=len(cq.captured_queries) - len(statements),
        counts=classify(statements),
        sql_ms=round(statistics.median(sql_ms), 1),
        inprocess_ms=round(statistics.median(wall_ms), 1),
        bytes=len(r.content),
        rows=rows,
        sql=statements,
    )


def login_client(username):
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


pages = []
# COUNT_GROUPS=list,list50 keeps only those groups (the 1M repeat races the main lists only).
GROUPS = set(filter(None, os.environ.get("COUNT_GROUPS", "").split(",")))


def add(group, label, user, url, client, json_rows=None, part_of=None):
    if GROUPS and group not in GROUPS:
        return
    print(f"  {APP:<8} {group:<9} {label:<34}", end="", flush=True)
    m = measure(client, url, json_rows)
    print(
        f" {m['queries']:>3} SQL  {m['counts']:<6} sql {m['sql_ms']:7.1f} ms  "
        f"in-process {m['inprocess_ms']:7.1f} ms  rows={m['rows']}"
    )
    pages.append(dict(group=group, label=label, user=user, url=url, part_of=part_of, **m))


if APP == "helpdesk":
    from helpdesk.models import FollowUp, Queue, Ticket

    for name in ("lead", "agent0"):
        u = User.objects.get(username=name)
        u.set_password(PASSWORDS[APP])
        u.save()
    lead, agent = login_client("lead"), login_client("agent0")
    n = Ticket.objects.count()
    queue = Queue.objects.get(slug="driver")
    ticket = Ticket.objects.filter(status=Ticket.CLOSED_STATUS, pk__gte=n // 2).order_by("pk")[0]
    dt = "?draw=1&start=0&length={length}&search%5Bvalue%5D=&search%5Bregex%5D=false"

    def list_pair(group, label, user, client, html_url, length=25):
        if GROUPS and group not in GROUPS:
            return
        r = client.get(html_url)
        assert r.status_code == 200, (html_url, r.status_code)
        q = r.context["urlsafe_query"]
        data = f"/helpdesk/datatables_ticket_list/{q}" + dt.format(length=length)
        add(group, f"{label} HTML", user, html_url, client, part_of=label)
        add(group, f"{label} data({length})", user, data, client, json_rows=True, part_of=label)

    list_pair("list", "/tickets/", "lead", lead, "/helpdesk/tickets/")
    list_pair(
        "filter",
        "/tickets/?status=1&queue",
        "lead",
        lead,
        f"/helpdesk/tickets/?status=1&queue={queue.pk}",
    )
    list_pair("search", "/tickets/?q=4242", "lead", lead, "/helpdesk/tickets/?q=4242")
    add(
        "detail",
        f"/tickets/{ticket.pk}/ ({ticket.followup_set.count()} follow-ups)",
        "lead",
        f"/helpdesk/tickets/{ticket.pk}/",
        lead,
    )
    list_pair("agentlist", "/tickets/ (agent0)", "agent0", agent, "/helpdesk/tickets/")
    # The same list with KMCS's page size (50 rows; the peer's default is 25).
    list_pair("list50", "/tickets/ (50 rows)", "lead", lead, "/helpdesk/tickets/", length=50)
    info = dict(
        app="helpdesk",
        tickets=n,
        followups=FollowUp.objects.count(),
        open=Ticket.objects.filter(status__in=[1, 2]).count(),
        login=dict(url="/helpdesk/login/", next="/helpdesk/tickets/"),
        passwords={"lead": PASSWORDS[APP], "agent0": PASSWORDS[APP]},
    )
else:
    from django.urls import reverse

    from cases.models import OPEN_STATUSES, Case

    for name in ("lead", "bench_driver_01"):
        u = User.objects.get(username=name)
        u.set_password(PASSWORDS[APP])
        u.save()
    lead, agent = login_client("lead"), login_client("bench_driver_01")
    n = Case.objects.count()
    case = Case.objects.filter(status="closed", pk__gte=n // 2).order_by("pk")[0]
    cl = reverse("admin:cases_case_changelist")
    queue = reverse("workspace:queue")
    add("list", "admin /admin/cases/case/", "lead", cl, lead)
    add("list", "queue /work/ (lead)", "lead", queue, lead)
    add(
        "filter",
        "admin ?playbook&status=new",
        "lead",
        f"{cl}?playbook__exact=driver_nonride_cancel&status__exact=new",
        lead,
    )
    add(
        "filter",
        "queue /work/?status=new&playbook",
        "lead",
        f"{queue}?status=new&playbook=driver_nonride_cancel",
        lead,
    )
    add("search", "admin ?q=4242 (phone last 4)", "lead", f"{cl}?q=4242", lead)
    add(
        "detail",
        f"case page /work/cases/{case.pk}/",
        "lead",
        reverse("workspace:case", args=[case.pk]),
        lead,
    )
    add(
        "detail",
        "admin change page",
        "lead",
        reverse("admin:cases_case_change", args=[case.pk]),
        lead,
    )
    closed_audit = None
    # /audit/cases/<id>/ answers 500 for every decided or closed case at 367809b (TypeError:
    # unhashable type: 'dict' in cases.selectors._formatted when a version changes the JSON
    # `proposal`); it is timed on an in-progress case, and the 500 is recorded in "notes".
    if not GROUPS or "history" in GROUPS:
        lead.raise_request_exception = False
        closed_audit = lead.get(reverse("audit:case_history", args=[case.pk])).status_code
        lead.raise_request_exception = True
    working = (
        Case.objects.filter(status="in_progress", assignee__isnull=False, pk__gte=n // 2)
        .order_by("pk")
        .first()
    )
    add(
        "history",
        f"audit /audit/cases/{working.pk}/ (in progress)",
        "lead",
        reverse("audit:case_history", args=[working.pk]),
        lead,
    )
    add(
        "history",
        "admin history page",
        "lead",
        reverse("admin:cases_case_history", args=[case.pk]),
        lead,
    )
    add("agentlist", "queue /work/ (bench_driver_01)", "bench_driver_01", queue, agent)
    add("list50", "admin /admin/cases/case/ (50 rows)", "lead", cl, lead)
    info = dict(
        app="kmcs",
        cases=n,
        open=Case.objects.filter(status__in=OPEN_STATUSES).count(),
        login=dict(url="/accounts/login/", next="/"),
        passwords={"lead": PASSWORDS[APP], "bench_driver_01": PASSWORDS[APP]},
        notes=[f"/audit/cases/{case.pk}/ (closed case) answered {closed_audit}"],
    )

with connection.cursor() as cur:
    cur.execute("SELECT version()")
    info["postgres"] = cur.fetchone()[0].split(" on ")[0]
info["django"] = django.get_version()
info["pages"] = pages
with open(OUT, "w") as f:
    json.dump(info, f, ensure_ascii=False, indent=1)
print(f"wrote {OUT}")
