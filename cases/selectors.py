"""Reads of the cases app, already scoped to the user who asks.

Every list here costs a fixed number of queries whatever its length (select_related /
prefetch_related), and every function that takes a ``user`` returns only what that user may
see: screens never filter by hand (STYLE: "objects fetched already scoped to the user").

Visibility: leads, deputies, managers and auditors see every case; an agent sees the cases
assigned to them (guardian object permission ``cases.work_case``) and the unassigned cases of
the services they work (``StaffProfile.services``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from cases.access import agent_services, is_agent_only, remember_work_permission
from cases.models import (
    DONE_STATUSES,
    Case,
    CaseAttachment,
    CaseStep,
    CaseUserObjectPermission,
    ContactAttempt,
    EscalationPost,
    FactRevision,
)
from cases.models.choices import QUEUE_STATUSES
from kmcs_site.permissions import user_can, user_roles

#: Fields a list of cases shows next to each row (joined, never fetched row by row).
LIST_RELATED = ("consultation_type", "assignee")
#: Columns the workspace's case tables never show: the facts and the proposal snapshot (JSON
#: decoded per row, several KB each) and the long texts. The queue's rows are read without
#: them (issue 17 round 3); a case page reads its case whole.
TABLE_DEFERRED = (
    "facts",
    "proposal",
    "record_inquiry",
    "record_notes",
    "operations_memo",
    "billing_memo",
    "answer_text",
    "override_reason",
)


def case_open_duplicate(*, playbook: str, business_key: str) -> Case | None:
    """The open case with this business key (the duplicate guard's check), if any."""
    if not business_key:
        return None
    # The filter repeats the partial unique index's predicate (status not done, key not
    # empty) so the planner answers from that index instead of scanning the open cases.
    return (
        Case.objects.filter(playbook=playbook, business_key=business_key)
        .exclude(status__in=DONE_STATUSES)
        .exclude(business_key="")
        .order_by("created_at", "pk")
        .first()
    )


def case_intake_lookup(
    *, idempotency_key: str | None, playbook: str, business_key: str
) -> tuple[Case | None, Case | None]:
    """(the case ``idempotency_key`` filed, the open case with this business key): intake's two
    checks in one statement (issue 17.5). The second is :func:`case_open_duplicate`'s answer:
    its branch repeats the partial unique index's predicate, so PostgreSQL reads both index
    entries (a BitmapOr) and nothing else."""
    wanted = Q()
    if idempotency_key:
        wanted |= Q(idempotency_key=idempotency_key)
    if business_key:
        wanted |= (
            Q(playbook=playbook, business_key=business_key)
            & ~Q(status__in=DONE_STATUSES)
            & ~Q(business_key="")
        )
    if not wanted:
        return None, None
    # A few columns, not the case: a new inquiry (the usual answer) matches nothing, and the
    # SELECT of every case column cost more CPU than the rest of the check. A match (a retry,
    # a duplicate) reads its case by primary key.
    rows = sorted(
        Case.objects.filter(wanted).values_list(
            "created_at", "pk", "idempotency_key", "playbook", "business_key", "status"
        )
    )
    by_key = duplicate = None
    for _at, pk, key, code, business, status in rows:
        if idempotency_key and key == idempotency_key and by_key is None:
            by_key = pk
        open_match = (
            business_key
            and code == playbook
            and business == business_key
            and status not in DONE_STATUSES
        )
        if open_match and duplicate is None:
            duplicate = pk
    if by_key is None and duplicate is None:
        return None, None
    cases = Case.objects.in_bulk({pk for pk in (by_key, duplicate) if pk is not None})
    return cases.get(by_key), cases.get(duplicate)


def case_few_visible_to(*, user) -> QuerySet[Case]:
    """:func:`case_list_visible_to` in the form for a few rows picked by another, selective
    condition (a case's key, its customer's references, the cases linked to it): the work
    permission is one index probe per row (``EXISTS``) instead of reading all of an agent's
    permission rows, which grow with every case they ever held (~40,000 at a million cases)."""
    return _visible_cases(user, one_case=True)


def case_list_visible_to(*, user) -> QuerySet[Case]:
    """Every case ``user`` may see, newest first, with the list's relations joined.

    One SQL query for the list itself (the guardian object permissions are a subquery), plus at
    most two per request that are cached on the user: their roles and their services.
    """
    return _visible_cases(user, one_case=False)


def _visible_cases(user, *, one_case: bool, queue: bool = False) -> QuerySet[Case]:
    """:func:`case_list_visible_to`; ``one_case``: the form for fetching a single case;
    ``queue``: the form for the queue's statuses only (:func:`_queue_scope`).

    Lists test the work permission with ``pk IN (the user's permission rows)`` (hashed once per
    query); a single case with ``EXISTS`` for that one row (one index probe, where hashing every
    permission row of a busy agent costs ~10 ms at a million cases).
    """
    if not user_can(user, "cases.case.view"):
        return Case.objects.none()
    cases = Case.objects.select_related(*LIST_RELATED)
    if not _sees_only_own_work(user):
        return cases
    unassigned_mine = _unassigned_in_services(user)
    if one_case:
        return cases.filter(_holds_work(user) | unassigned_mine)
    ids = _work_permission_case_ids(user, queue_cases_only=queue)
    return cases.filter(Q(pk__in=ids) | unassigned_mine)


#: The one-case read's answer to "does the agent hold this case's work permission?" (the
#: visibility test reads it anyway), kept on the instance by :func:`case_get_visible`.
HOLDS_WORK = "kmcs_holds_work"


def _holds_work(user) -> Exists:
    """``EXISTS`` (one index probe per case row) of ``user``'s work permission on the row."""
    return Exists(
        CaseUserObjectPermission.objects.filter(
            user_id=user.pk, permission_id=_work_permission_id(), content_object_id=OuterRef("pk")
        )
    )


def _sees_only_own_work(user) -> bool:
    """An agent (not a lead, manager or superuser): sees the cases they hold the work
    permission on and the unassigned cases of their services, nothing else."""
    return not user.is_superuser and is_agent_only(user_roles(user))


def _unassigned_in_services(user) -> Q:
    """The unassigned cases of the services ``user`` works: the part of an agent's cases that
    needs no permission."""
    return Q(assignee__isnull=True, service__in=sorted(agent_services(user)))


def _queue_scope(user) -> QuerySet[Case]:
    """The cases ``user`` sees that are in a queue status: :func:`case_list_visible_to` for
    :data:`QUEUE_STATUSES`, with the work permission read only for queue cases (see
    :func:`_work_permission_case_ids`), so the queue and its counts do not read an agent's
    whole history of permissions."""
    return _visible_cases(user, one_case=False, queue=True).filter(status__in=QUEUE_STATUSES)


def _queue_case_floor() -> Subquery:
    """The smallest id of a case in a queue status (one probe of ``case_queue_id``), NULL when
    there is none."""
    queue_cases = Case.objects.filter(status__in=QUEUE_STATUSES).order_by("pk")
    return Subquery(queue_cases.values("pk")[:1])


def _work_permission_id() -> Subquery:
    """The id of ``cases.work_case``, as a scalar subquery PostgreSQL computes once per
    statement. Joining ``auth_permission`` and ``django_content_type`` inside the visibility
    subquery instead made the planner read every permission row of the agent once per
    content type of the app (~250 ms per page for an agent with 40,000 cases)."""
    return Subquery(
        Permission.objects.filter(codename="work_case", content_type__app_label="cases")
        .order_by()  # Permission's default ordering is a join and a sort: not needed for one row
        .values("pk")[:1]
    )


def _work_permission_case_ids(user, *, queue_cases_only: bool = False):
    """Ids of the cases ``user`` holds ``cases.work_case`` on, as a subquery.

    ``queue_cases_only``: only the ids from the smallest id of a queue case up. Assignment
    grants the permission and it stays after the case is closed, so a busy agent holds one
    row per case they ever had (about 4,000 at 100,000 cases, 40,000 at a million): the
    queue hashed all of them in every branch and every count, and looked each one up for the
    cases they hold but someone else has (13 of the 35 ms of an agent's queue at 100k).
    Queue cases are the newest few percent, so the range ``content_object_id >= floor`` of
    the permission index (user, permission, object) reads about as many rows as the agent
    has recent cases. An old case still open only widens the range: the answer stays exact.

    The same set as guardian's ``get_objects_for_user(user, "cases.work_case", klass=Case,
    use_groups=False, with_superuser=False, accept_global_perms=False)`` (a test holds them
    equal), read straight from the direct-FK table: no content-type lookups per request and an
    integer join PostgreSQL can index, where guardian's generic form casts the key.
    """
    rows = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=_work_permission_id()
    )
    if queue_cases_only:
        rows = rows.filter(content_object_id__gte=_queue_case_floor())
    return rows.values("content_object_id")


#: Queue orders offered to the agent (``?sort=``): by next due time or by age.
QUEUE_SORTS = {
    "due": "기한 임박 순",
    "-due": "기한 늦은 순",
    "age": "오래된 순",
    "-age": "최근 접수 순",
}


def _running_clocks():
    from cases.models import StepClock

    return StepClock.objects.filter(case_id=OuterRef("pk"), stopped_at__isnull=True)


def _queue_annotations(now) -> dict:
    """Next due time and the overdue mark, computed from the clocks' due times *at read*: a
    promise past its due time is overdue whether or not the overdue job has run. A paused
    clock (waiting on the customer) has no running due time and is never overdue."""
    running = _running_clocks().filter(paused_at__isnull=True)
    return {
        "next_due_at": Subquery(running.order_by("due_at").values("due_at")[:1]),
        "is_overdue": Exists(running.filter(due_at__lt=now)),
    }


def case_queue_for(*, user, sort: str = "", now=None) -> QuerySet[Case] | IndexOrderedQueue:
    """The cases ``user`` should work: new, in progress, waiting and decided-but-not-closed.

    Each row carries ``is_mine``, ``next_due_at`` (the earliest due time of its running
    clocks) and ``is_overdue`` (computed from that due time now, not from the job's mark).
    Default order: agents see their own cases first, then the unassigned cases of their
    services, oldest first; leads and managers see every such case, unassigned first. That
    order comes as an :class:`IndexOrderedQueue` (each group read in index order, one page at a
    time: issue 17.3). ``sort`` (one of :data:`QUEUE_SORTS`) orders by next due time (no clock
    last) or by age instead (a queryset). One SQL query for the rows whatever their number
    (the annotations are subqueries).
    """
    if user is None or not getattr(user, "pk", None):
        return Case.objects.none()
    now = now or timezone.now()
    mine = SqlCase(When(assignee_id=user.pk, then=Value(True)), default=Value(False))
    annotations = {"is_mine": mine, **_queue_annotations(now)}
    scope = _queue_scope(user)
    cases = scope.annotate(**annotations).defer(*TABLE_DEFERRED)
    if sort in ("due", "-due"):
        due = F("next_due_at")
        first = due.asc(nulls_last=True) if sort == "due" else due.desc(nulls_last=True)
        return cases.order_by(first, "created_at", "pk")
    if sort == "age":
        return cases.order_by("created_at", "pk")
    if sort == "-age":
        return cases.order_by("-created_at", "-pk")
    if _sees_only_own_work(user):
        # Own cases (index on assignee, created_at), then everything else the agent sees: the
        # unassigned cases of their services (partial index on created_at) and, rarely, cases
        # they still hold the work permission on but that someone else now has.
        groups = (
            (Q(assignee_id=user.pk),),
            (
                _unassigned_in_services(user),
                FewRowsBranch(
                    ~Q(assignee_id=user.pk),
                    ids=_work_permission_case_ids(user, queue_cases_only=True),
                ),
            ),
        )
        rank = SqlCase(When(assignee_id=user.pk, then=Value(0)), default=Value(1))
    else:
        groups = ((Q(assignee__isnull=True),), (Q(assignee__isnull=False),))
        rank = SqlCase(When(assignee__isnull=True, then=Value(0)), default=Value(1))
    return IndexOrderedQueue(scope=scope, groups=groups, rank=rank, annotations=annotations)


@dataclass(frozen=True)
class FewRowsBranch:
    """A queue branch of few rows, known by their ids: cases the user still holds the work
    permission on though someone else now has them (reassignment removes it, so these are
    rare). Walking ``created_at`` in order would read every open case looking for rows that
    are not there; this branch is read from its ids instead (``id = ANY(ARRAY(<ids>))`` on
    PostgreSQL: primary-key lookups, as many as the user has permissions) and sorted."""

    q: Q
    ids: QuerySet

    def rows(self, scope: QuerySet[Case]) -> QuerySet[Case]:
        return _pk_among(scope.filter(self.q), self.ids)


def _pk_among(rows: QuerySet[Case], ids) -> QuerySet[Case]:
    """``rows`` whose id is in ``ids`` (a values queryset or ``(sql, params)``), looked up by
    primary key on PostgreSQL: with ``IN (...)`` its planner may hash-join the ids against a
    scan of the whole table when it misjudges their number."""
    if isinstance(ids, tuple):
        sql, params = ids
    else:
        sql, params = ids.query.sql_with_params()
    # ``sql`` is compiled by Django from querysets (values passed apart, in ``params``); the
    # table name is the model's own: no user text reaches the statement.
    if connection.vendor != "postgresql":
        return rows.filter(pk__in=RawSQL(sql, params))  # nosec B611 (compiled queryset SQL)
    table = Case._meta.db_table
    in_ids = f'"{table}"."id" = ANY(ARRAY({sql}))'
    return rows.filter(RawSQL(in_ids, params, output_field=BooleanField()))  # nosec B611


class IndexOrderedQueue:
    """The default queue order, read so that its cost does not grow with the open cases.

    ``ORDER BY CASE WHEN assignee_id IS NULL ...`` cannot use an index: PostgreSQL read and
    sorted every open case for each page (14 ms at 100k, 45 ms at 1M cases). Here the queue is
    a list of *groups* shown one after the other (``rank`` 0, 1), each group the union of
    *branches* (Q objects). A page ``[offset:offset+limit]`` is one statement::

        SELECT ... FROM cases_case WHERE id IN (
            SELECT b0.pk FROM (<branch 0, ORDER BY created_at, id LIMIT offset+limit>) b0
            UNION ALL SELECT b1.pk FROM (<branch 1, ...>) b1 ...)
        ORDER BY <rank>, created_at, id LIMIT limit OFFSET offset

    Each branch stops after ``offset + limit`` rows of a partial index (``case_queue_*``), so the
    final sort handles at most that many rows per branch; the page holds exactly the rows the
    CASE ordering gives (the first ``offset + limit`` rows of every group are among them; a
    case found by two branches of a group is still one row, ``IN`` being a set).

    Quacks like the querysets ``_CaseTableView`` uses: ``filter(**kw)``, ``none()``, slicing.
    Iterating it whole reads every row with the CASE ordering (:meth:`reference`): nothing can
    be cheaper when every row is wanted.
    """

    def __init__(self, *, scope: QuerySet[Case], groups, rank, annotations) -> None:
        self.scope = scope
        self.groups = groups
        self.rank = rank
        self.annotations = annotations

    def filter(self, *args, **kwargs) -> IndexOrderedQueue:
        return IndexOrderedQueue(
            scope=self.scope.filter(*args, **kwargs),
            groups=self.groups,
            rank=self.rank,
            annotations=self.annotations,
        )

    def none(self) -> IndexOrderedQueue:
        return IndexOrderedQueue(
            scope=self.scope.none(), groups=self.groups, rank=self.rank, annotations={}
        )

    def reference(self) -> QuerySet[Case]:
        """The same rows in the same order with the CASE ordering (every row read and sorted):
        what iterating the whole queue means, and what the tests compare a page against."""
        return self.scope.annotate(**self.annotations).order_by(self.rank, "created_at", "pk")

    def branch_sql(self, depth: int) -> tuple[str, tuple]:
        """The ids of the first ``depth`` rows of every branch, as one UNION ALL."""
        parts, params = [], []
        for index, branch in enumerate(branch for group in self.groups for branch in group):
            if isinstance(branch, FewRowsBranch):
                rows = branch.rows(self.scope).order_by("created_at", "pk")
            else:
                rows = self.scope.filter(branch).order_by("created_at", "pk")
            ids = rows.values_list("pk", flat=True)
            try:
                sql, branch_params = ids[:depth].query.sql_with_params()
            except EmptyResultSet:  # a branch that can match nothing (an agent with no service)
                continue
            parts.append(f"SELECT b{index}.pk FROM ({sql}) b{index}")
            params.extend(branch_params)
        return " UNION ALL ".join(parts), tuple(params)

    def page(self, offset: int, limit: int) -> QuerySet[Case]:
        """Rows ``offset`` .. ``offset + limit`` of the queue (one statement, see above)."""
        if self.scope.query.is_empty():
            return self.scope.none()
        sql, params = self.branch_sql(offset + limit)
        if not sql:  # every branch can match nothing (an agent with no service yet)
            return self.scope.none()
        rows = Case.objects.select_related(*LIST_RELATED).defer(*TABLE_DEFERRED)
        rows = _pk_among(rows, (sql, params))
        rows = rows.annotate(**self.annotations).order_by(self.rank, "created_at", "pk")
        return rows[offset : offset + limit]

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step is None and key.stop is not None:
            start = key.start or 0
            return list(self.page(start, max(key.stop - start, 0)))
        return self.reference()[key]

    def __iter__(self):
        return iter(self.reference())

    def __len__(self) -> int:
        return self.scope.count()


#: The queue's counts stop here: past it a state shows "1,000+" (issue 17.3). Counting every
#: open case of a state read all of them on each queue page (the count grew with the queue);
#: a capped count reads at most this many rows plus one per count, whatever the queue holds.
QUEUE_COUNT_CAP = 1000


@functools.total_ordering
class QueueCount:
    """A queue count read with a cap: the number when below :data:`QUEUE_COUNT_CAP`,
    "1,000+" when the state holds more. Compares and converts like the int it stands for (a
    capped one as ``cap + 1``), and prints itself, so templates show it without a filter (an
    ``int`` would be localised as a plain number and lose the "+")."""

    __slots__ = ("value", "cap")

    def __init__(self, value: int, cap: int) -> None:
        self.value = min(int(value), cap + 1)
        self.cap = cap

    @property
    def capped(self) -> bool:
        return self.value > self.cap

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __bool__(self) -> bool:
        return self.value > 0

    def __eq__(self, other) -> bool:
        if isinstance(other, QueueCount):
            return self.value == other.value
        if isinstance(other, int):
            return self.value == other
        return NotImplemented

    def __lt__(self, other) -> bool:
        return self.value < int(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return f"{self.cap:,}+" if self.capped else f"{self.value:,}"

    def __repr__(self) -> str:
        return f"QueueCount({self})"


def _overdue_clock_case_ids(now):
    """Ids of the cases with a running, unpaused clock past its due time, found from the clock
    side: ``EXISTS`` per case would walk the open cases looking for the few overdue ones.
    Split on the overdue mark so each half matches a partial index (``clock_open_overdue``,
    ``clock_running_unmarked_due``); together they are every running clock due before now."""
    from cases.models import StepClock

    due = Q(due_at__lt=now)
    return StepClock.objects.filter(
        (due & Q(overdue_marked_at__isnull=False)) | (due & Q(overdue_marked_at__isnull=True)),
        stopped_at__isnull=True,
        paused_at__isnull=True,
    ).values("case_id")


def case_queue_counts(*, user, now=None) -> dict[str, QueueCount]:
    """How many queue cases ``user`` has per status, how many are overdue and how many are
    theirs (the same scope as :func:`case_queue_for`), each counted up to
    :data:`QUEUE_COUNT_CAP` (issue 17.3).

    One statement: ``SELECT (SELECT COUNT(*) FROM (<rows of the state> LIMIT cap+1)), ...``.
    Each count stops after ``cap + 1`` rows of its index (``case_status_created`` per state,
    ``case_queue_assignee`` for a lead's mine), so the statement reads at most ``(cap + 1)`` rows per
    count at a thousand or a million open cases; the one aggregate it replaces read them all.
    An agent's counts are sums of disjoint parts (:func:`_agent_count_parts`), each read
    from an index holding only its own rows.
    """
    cap = QUEUE_COUNT_CAP
    keys = [*(str(status) for status in QUEUE_STATUSES), "overdue", "mine"]
    if user is None or not getattr(user, "pk", None):
        return {key: QueueCount(0, cap) for key in keys}
    now = now or timezone.now()
    scope = _queue_scope(user).order_by()
    if not scope.query.is_empty() and _sees_only_own_work(user):
        parts = _agent_count_parts(user)
    else:
        parts = {str(status): [scope.filter(status=status)] for status in QUEUE_STATUSES}
        parts["mine"] = [scope.filter(assignee_id=user.pk)]
    parts["overdue"] = [scope.filter(pk__in=_overdue_clock_case_ids(now))]
    selects, params = [], []
    for index, key in enumerate(keys):
        terms = []
        for number, rows in enumerate(parts[key]):
            ids = rows.values("pk")[: cap + 1]
            try:
                sql, sql_params = ids.query.sql_with_params()
            except EmptyResultSet:  # nothing visible (no view permission, no service)
                continue
            # ``sql`` is compiled by Django from the querysets above (values apart, in params).
            terms.append(f"(SELECT COUNT(*) FROM ({sql}) c{index}_{number})")
            params.extend(sql_params)
        selects.append(" + ".join(terms) or "0")
    with connections[scope.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        values = cursor.fetchone()
    return {key: QueueCount(value, cap) for key, value in zip(keys, values, strict=True)}


def _agent_count_parts(user) -> dict[str, list[QuerySet[Case]]]:
    """An agent's queue counts as sums of two disjoint parts per status: the unassigned cases
    of their services, and the other cases they hold the work permission on (their own, and
    rarely someone else's). Together they are exactly :func:`_queue_scope`'s cases.

    Counting the scope per status read every open case of that status to find the agent's
    share (a capped count stops only after cap + 1 *matches*): 375 of 783 "new" rows for one
    agent at 100,000 cases, ten times that at a million. Each part here reads only its own
    rows: ``case_queue_unassigned_service`` (unassigned, by service and status), and the
    agent's permissions on queue cases looked up by key (``case_queue_id``)."""
    ids = _work_permission_case_ids(user, queue_cases_only=True)
    unassigned_mine = _unassigned_in_services(user)
    cases = Case.objects.order_by()
    held = _pk_among(cases.exclude(unassigned_mine), ids)
    parts: dict[str, list[QuerySet[Case]]] = {
        str(status): [cases.filter(unassigned_mine, status=status), held.filter(status=status)]
        for status in QUEUE_STATUSES
    }
    parts["mine"] = [held.filter(assignee_id=user.pk, status__in=QUEUE_STATUSES)]
    return parts


def case_detail_queryset(cases: QuerySet[Case]) -> QuerySet[Case]:
    """A case with everything its detail screen shows, in a fixed number of queries."""
    from templates_app.models import OutboundMessage

    return cases.select_related("created_by", "overridden_by").prefetch_related(
        Prefetch(
            "outbound_messages",
            queryset=OutboundMessage.objects.select_related("template").order_by("pk"),
        ),
        Prefetch("steps", queryset=CaseStep.objects.select_related("done_by").order_by("order")),
        Prefetch(
            "escalation_posts",
            queryset=EscalationPost.objects.select_related("created_by").order_by("created_at"),
        ),
        Prefetch(
            "contact_attempts",
            queryset=ContactAttempt.objects.select_related("by", "escalation_post").order_by("at"),
        ),
        # The page's panels and its timeline both show these (a case has a handful): read once.
        *(Prefetch(name, queryset=rows()) for name, rows in _PANEL_ROWS.items()),
    )


#: Rows of a case that the case page's panels and its timeline both show, as the panels list
#: them: prefetched by :func:`case_detail_queryset`, read alike by :func:`case_panel_rows`.
_PANEL_ROWS = {
    "attachments": lambda: CaseAttachment.objects.select_related("uploaded_by").order_by(
        "uploaded_at", "pk"
    ),
    "fact_revisions": lambda: FactRevision.objects.select_related("created_by").order_by("-number"),
}


def case_panel_rows(case: Case, name: str) -> list:
    """The case's ``name`` rows (a key of ``_PANEL_ROWS``) in the panel's order: the case
    page's prefetch when the case came from :func:`case_detail_queryset`, else one query."""
    rows = case_prefetched(case, name)
    return rows if rows is not None else list(_PANEL_ROWS[name]().filter(case_id=case.pk))


def case_prefetched(case: Case, name: str) -> list | None:
    """The case's ``name`` rows when its selector prefetched them (:func:`case_detail_queryset`,
    the case page), else None: the caller then reads them itself."""
    cache = getattr(case, "_prefetched_objects_cache", None) or {}
    return list(cache[name]) if name in cache else None


def case_get_for_user_or_404(*, user, case_id) -> Case:
    """The case if ``user`` may see it; Http404 otherwise (never 403: no existence leak)."""
    case = case_get_visible(user=user, case_id=case_id, detail=True)
    if case is None:
        raise Http404("케이스를 찾을 수 없습니다.")
    return case


def case_get_visible(*, user, case_id, detail: bool = False) -> Case | None:
    """The case ``case_id`` if ``user`` may see it, else None; ``detail``: with what the case
    page shows (:func:`case_detail_queryset`), otherwise with its people.

    For an agent the visibility test has read whether they hold the case's work permission;
    the answer stays on the instance, so the page's fifteen ``user_can`` questions ask the
    database nothing more (``cases.access.holds_work_permission``).
    """
    cases = _visible_cases(user, one_case=True)
    if not cases.query.is_empty() and _sees_only_own_work(user):
        cases = cases.annotate(**{HOLDS_WORK: _holds_work(user)})
    if detail:
        cases = case_detail_queryset(cases)
    else:
        cases = cases.select_related("created_by", "overridden_by")
    try:
        case = cases.get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError, ValidationError):
        return None
    holds = case.__dict__.pop(HOLDS_WORK, None)
    if holds is not None:
        remember_work_permission(case, user, holds)
    return case


def case_messages(*, case: Case):
    """The outbound messages (SMS) queued for ``case``, oldest first."""
    return case.outbound_messages.select_related("template").order_by("pk")


def staff_services(*, user) -> frozenset[str]:
    """The services ``user`` works (StaffProfile), empty when they have no profile."""
    if user is None or not getattr(user, "pk", None):
        return frozenset()
    return agent_services(user)


# --- message previews (the decide confirmation page) ----------------------------------------


@dataclass(frozen=True)
class MessagePreview:
    """One message of a proposal as the recipient would read it (before anything is queued)."""

    template: str
    audience: str
    recipient_masked: str
    text: str = ""
    byte_length: int = 0
    length_class: str = ""
    error: str = ""  # Korean: why it cannot be sent (no phone, no approved version, a value...)


def case_message_previews(*, case: Case, proposal) -> list[MessagePreview]:
    """Render each MessageSpec of ``proposal`` with the template's approved version.

    Shown before deciding ("SMS 미리보기"): the decision queues exactly these texts, so a
    problem shown here (missing phone, unapproved template, a value that does not render) is
    the error deciding would raise.
    """
    from cases.models.case import mask_phone_for_display
    from templates_app.models import SmsTemplate
    from templates_app.render import RenderError, render_sms
    from templates_app.services import template_approved_version

    names = {spec.template for spec in proposal.messages}
    templates = {t.code: t for t in SmsTemplate.objects.filter(code__in=names)}
    previews = []
    for spec in proposal.messages:
        phone = case.phone_for(spec.audience)
        base = {
            "template": spec.template,
            "audience": spec.audience,
            "recipient_masked": mask_phone_for_display(phone),
        }
        template = templates.get(spec.template)
        version = template_approved_version(template) if template is not None else None
        if not phone:
            previews.append(MessagePreview(**base, error="받는 사람 전화번호가 없습니다."))
            continue
        if version is None:
            previews.append(
                MessagePreview(**base, error="승인된 템플릿 버전이 없습니다 (템플릿 확인 필요).")
            )
            continue
        try:
            rendered = render_sms(
                body=version.body, variables=version.variables, context=spec.context
            )
        except RenderError as exc:
            previews.append(MessagePreview(**base, error=f"문자를 만들 수 없습니다: {exc}"))
            continue
        previews.append(
            MessagePreview(
                **base,
                text=rendered.text,
                byte_length=rendered.byte_length,
                length_class=str(rendered.length_class.value),
            )
        )
    return previews


# The case's audit history (auditor views) lives in its own module; re-exported here.
from cases.case_history import (  # noqa: E402,F401
    HistoryEntry,
    case_history_for,
    case_history_page,
)
