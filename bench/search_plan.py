"""Query plans of the workspace search and the case page's history panel (issue 14.1-14.3).

    .venv/bin/python bench/search_plan.py --cases 100000        # the issue's size
    .venv/bin/python bench/search_plan.py --cases 2000          # a quick proof that it works

Fills a PostgreSQL database with ``bench/seed_data.py`` (up to ``--cases``), takes real
references from it (a case number, a full phone, its last four digits, a call ID, a TID, a
payment ID, a driver ID, a car number, part of a lot and of a station name, part of 출발지, part
of a 제목 and of a 처리내용) and runs ``EXPLAIN (ANALYZE, FORMAT JSON)`` on the very statements
the pages run: ``cases.search.case_search`` (one page of results, for a lead and for an agent,
whose scope is part of the WHERE clause), ``cases.search.reference_history_queryset`` and the
related panel's other two reads. A plan that reads ``cases_case`` by a Seq Scan fails the run
(exit status 1); the table printed shows, per statement, the scans of ``cases_case``, the
rows returned, the rows a Filter read and threw away (a walk of the ``created_at`` index for a
broad text term shows here, not as a Seq Scan), the time and the indexes used.

Below ``--planner-from`` cases (default 50,000) the planner would rightly read a small table
whole, so sequential scans are switched off for the session (``enable_seqscan = off``). That is
a penalty, not a ban: a statement one of whose branches no index serves still shows its Seq
Scan, so the check still proves every branch has an index. From that size up the planner's own
choice is checked.

The database (default ``postgres://postgres@127.0.0.1:5432/kmcs_search_plan``, or
``BENCH_DATABASE_URL``) is recreated unless ``--reuse``; results go to
``bench/results/search-plan-<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kmcs_search_plan"
RESULTS = ROOT / "bench" / "results"
TABLE = "cases_case"


@dataclass
class Checked:
    """One statement's plan, as the table prints it."""

    name: str
    who: str
    seq_scans: int
    scans: list[str] = field(default_factory=list)  # node types reading cases_case
    indexes: list[str] = field(default_factory=list)
    rows: int = 0
    filtered: int = 0  # rows of cases_case read and thrown away by a Filter
    ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.seq_scans == 0


def walk(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from walk(child)


def explain(queryset, *, name: str, who: str) -> Checked:
    """``EXPLAIN (ANALYZE, FORMAT JSON)`` of ``queryset``'s statement, summarised."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    checked = Checked(name=name, who=who, seq_scans=0, ms=round(plan["Execution Time"], 2))
    for node in walk(plan["Plan"]):
        index = node.get("Index Name")
        if index and index not in checked.indexes:
            checked.indexes.append(index)
        if node.get("Relation Name") != TABLE:
            continue
        checked.scans.append(node["Node Type"])
        checked.filtered += int(node.get("Rows Removed by Filter", 0)) * int(
            node.get("Actual Loops", 1)
        )
        if node["Node Type"] == "Seq Scan":
            checked.seq_scans += 1
    checked.rows = int(plan["Plan"].get("Actual Rows", 0))
    return checked


def sample_terms() -> dict[str, str]:
    """Real references of the seeded data, one per kind the search box reads."""
    from django.db.models import Q

    from cases.models import Case

    def first(*conditions, **lookups) -> Case:
        case = Case.objects.filter(*conditions, **lookups).order_by("-pk").first()
        if case is None:
            raise SystemExit(f"no seeded case with {lookups or conditions}: seed more cases")
        return case

    phone = first(~Q(customer_phone="")).customer_phone
    parking = first(~Q(parking_payment_id=""), facts__has_key="car_number")
    ev = first(~Q(charge_tid=""), ~Q(station=""))
    driver = first(~Q(call_id=""), ~Q(driver_id=""), facts__has_key="origin")
    noted = first(~Q(record_notes=""), ~Q(record_title=""))
    lot = first(~Q(lot="")).lot
    return {
        "case number": str(first().pk),
        "full phone": phone,
        "last four": phone[-4:],
        "call ID": driver.call_id,
        "TID": ev.charge_tid,
        "payment ID": parking.parking_payment_id,
        "driver ID": driver.driver_id,
        "car number": str(parking.facts["car_number"]),
        "lot name, part": lot[len(lot) // 3 :][:6].strip() or lot,
        "station, part": ev.station[:6].strip() or ev.station,
        "출발지, part": str(driver.facts["origin"])[-6:].strip(),
        "제목, part": noted.record_title[:6].strip(),
        "처리내용, part": noted.record_notes[:8].strip(),
        "nothing": "없는검색어-xyz",
    }


def history_cases() -> dict[str, object]:
    """Cases whose history panel reads each kind of shared reference."""
    from django.db.models import Q

    from cases.models import Case

    picks = {
        "phone + driver + call": Case.objects.filter(~Q(driver_id=""), ~Q(call_id="")),
        "TID": Case.objects.filter(~Q(charge_tid="")),
        "car number": Case.objects.filter(facts__has_key="car_number"),
        "phone only": Case.objects.filter(~Q(customer_phone=""), call_id="", charge_tid=""),
    }
    return {name: qs.order_by("-pk").first() for name, qs in picks.items() if qs.exists()}


def check_all(users: dict[str, object]) -> list[Checked]:
    from django.db.models import Q

    from cases.models import Case, CaseLink
    from cases.search import case_search, read_term, reference_history_queryset
    from cases.selectors import case_list_visible_to
    from cases.views.pagination import DEFAULT_PER_PAGE

    out: list[Checked] = []
    for kind, text in sample_terms().items():
        for who, user in users.items():
            # One page as peek_paginate reads it: per_page + 1 rows, no COUNT.
            rows = case_search(user=user, term=read_term(text))[: DEFAULT_PER_PAGE + 1]
            out.append(explain(rows, name=f"search: {kind} ({text!r})", who=who))
    for kind, case in history_cases().items():
        for who, user in users.items():
            rows = reference_history_queryset(user=user, case=case)
            if rows is not None:
                out.append(explain(rows, name=f"history #{case.pk}: {kind}", who=who))
        links = CaseLink.objects.filter(Q(case=case) | Q(other=case)).select_related(
            "case", "other", "created_by"
        )
        out.append(explain(links, name=f"related links #{case.pk}", who="-"))
        marks = Case.objects.filter(Q(duplicate_of=case) | Q(pk=case.duplicate_of_id or 0))
        out.append(explain(marks.exclude(pk=case.pk), name=f"intake marks #{case.pk}", who="-"))
        visible = case_list_visible_to(user=users["agent"]).filter(pk__in=[case.pk, case.pk + 1])
        out.append(explain(visible.values("pk"), name=f"visible related #{case.pk}", who="agent"))
    return out


def print_table(results: list[Checked], *, size: int, forced: bool) -> None:
    mode = "enable_seqscan=off (small table)" if forced else "planner's own choice"
    print(f"\nsearch/history plans at {size:,} cases ({mode})")
    print(
        f"{'statement':52} {'who':6} {'scan of cases_case':18} {'rows':>5} {'ms':>8}  ok   indexes"
    )
    for r in results:
        scans = ", ".join(sorted(set(r.scans))) or "-"
        print(
            f"{r.name[:52]:52} {r.who:6} {scans[:18]:18} {r.rows:>5} {r.filtered:>8} {r.ms:>8.2f}  "
            f"{'yes' if r.ok else 'SEQ!'} {', '.join(r.indexes)[:90]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument(
        "--planner-from",
        type=int,
        default=50_000,
        help="below this many cases, sequential scans are penalised (enable_seqscan=off)",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("search_plan needs PostgreSQL (the plans are PostgreSQL's)")

    from bench.run import recreate_database

    if not args.reuse:
        recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.seed_data import ensure_staff, seed
    from cases.models import Case

    call_command("migrate", verbosity=0)
    current = Case.objects.count()
    if args.cases > current:
        print(f"seeding {args.cases - current:,} cases (to {args.cases:,})")
        seed(cases=args.cases - current, stdout=sys.stdout)
    size = Case.objects.count()
    staff = ensure_staff()
    users = {"lead": staff["bench_lead"], "agent": staff["agents"]["driver"][0]}
    forced = size < args.planner_from
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        if forced:
            cursor.execute("SET enable_seqscan = off")
    results = check_all(users)
    print_table(results, size=size, forced=forced)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"search-plan-{size}.json"
    path.write_text(
        json.dumps(
            {
                "cases": size,
                "enable_seqscan_off": forced,
                "results": [{**asdict(r), "ok": r.ok} for r in results],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    bad = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(bad)}/{len(results)} statements without a Seq Scan of {TABLE}")
    print(f"written: {path.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
