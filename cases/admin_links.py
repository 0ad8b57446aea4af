"""The case admin's "관련 케이스" section (issue 14.3): every link of a case, made on it or
pointing to it, with the linked case's number and title as admin links, read-only.

Auditors read the admin, not the workspace: the links (who linked what, when, why) are the
record of which cases were treated together or merged, so the case page lists them. Changes
stay in the workspace (``cases.services.relations``: link, merge); this section only reads.

Two queries whatever the number of links: the links either way with both cases and the person
(one join), and which of the linked cases the viewer may see. A case the viewer may not see is
listed by number only (no title, no link): the link exists, its content is not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Case, CaseLink, LinkKind
from cases.selectors import case_few_visible_to


@dataclass(frozen=True)
class AdminLinkRow:
    case_id: int
    title: str  # "" when the viewer may not see the linked case
    url: str  # the linked case's admin page; "" when not visible
    relation: str
    direction: str  # "이 케이스에서" (made here) / "상대 케이스에서" (made on the other case)
    status: str
    by: str
    at: datetime
    note: str


def _title(case: Case) -> str:
    return case.record_title or case.playbook_label


def _person(user) -> str:
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()


def case_admin_link_rows(*, user, case: Case) -> list[AdminLinkRow]:
    """The case's links, oldest first, as the admin section shows them (two queries)."""
    links = list(
        CaseLink.objects.filter(Q(case=case) | Q(other=case))
        .select_related("case", "other", "created_by")
        .order_by("created_at", "pk")
    )
    if not links:
        return []
    linked_ids = {link.other_id if link.case_id == case.pk else link.case_id for link in links}
    visible = set(
        case_few_visible_to(user=user).filter(pk__in=linked_ids).values_list("pk", flat=True)
    )
    rows = []
    for link in links:
        mine = link.case_id == case.pk
        other = link.other if mine else link.case
        relation = str(link.get_kind_display())
        if link.kind == LinkKind.MERGED:
            relation = _("이 케이스가 병합된 원건") if mine else _("이 케이스로 병합된 중복 건")
        seen = other.pk in visible
        rows.append(
            AdminLinkRow(
                case_id=other.pk,
                title=_title(other) if seen else "",
                url=reverse("admin:cases_case_change", args=[other.pk]) if seen else "",
                relation=relation,
                direction=_("이 케이스에서") if mine else _("상대 케이스에서"),
                status=other.status_label if seen else "",
                by=_person(link.created_by),
                at=link.created_at,
                note=link.note,
            )
        )
    return rows
