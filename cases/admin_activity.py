"""The case admin's read-only tables of what services wrote on a case: its steps, Agit posts
and OB attempts (issue 17.1: they were three ``TabularInline``s).

Those inlines could not add, change or delete anything, yet Django built a formset per inline
(management form, one form per row, a fieldset and an ``AdminReadonlyField`` per cell) and
rendered it through the tabular inline templates: about a third of the change page's time for
four steps and two empty inlines. Here each table is one query with its people joined, and the
cells are formatted once in Python with the admin's own ``display_for_field`` (the same
labels, Seoul times, "-" and yes/no icons as before); a related row still links to its admin
page when it has one. Who may see a table is asked as before: the inline showed when the role
may view (or change) the model (``kmcs_site.permissions``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.utils import display_for_field, quote
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from cases.models import Case, CaseStep, ContactAttempt, EscalationPost
from kmcs_site.permissions import model_action, user_can

EMPTY = "-"


@dataclass(frozen=True)
class ActivityTable:
    """One read-only table: its title (the model's plural name), column headers and rows of
    already formatted cells (``str`` or safe HTML)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _agit_link(post: EscalationPost) -> str:
    if not post.link_url:
        return "미작성"
    return format_html(
        '<a href="{}" rel="noopener" target="_blank">{}</a>', post.link_url, post.link_url
    )


#: model -> (queryset builder, columns); a column is a field name or (header field, callable).
TABLES = (
    (
        CaseStep,
        lambda case: CaseStep.objects.filter(case=case).select_related("done_by").order_by("order"),
        ("order", "label", "roles", "kind", "waits_on", "status", "done_by", "done_at"),
    ),
    (
        EscalationPost,
        lambda case: EscalationPost.objects.filter(case=case).select_related("created_by"),
        (
            "board",
            "template",
            "reason",
            "body",
            ("link_url", _agit_link),
            "created_by",
            "created_at",
        ),
    ),
    (
        ContactAttempt,
        lambda case: ContactAttempt.objects.filter(case=case).select_related(
            "by", "escalation_post"
        ),
        ("at", "target", "result", "is_special", "note", "by", "escalation_post"),
    ),
)


def _may_view(user, model) -> bool:
    opts = model._meta
    return user_can(user, model_action(opts, "view")) or user_can(
        user, model_action(opts, "change")
    )


def _related(value: models.Model, site: admin.AdminSite) -> str:
    """A related object as the read-only inline showed it: a link to its admin change page
    when its model is registered, else its text."""
    opts = value._meta
    if not site.is_registered(value.__class__):
        return str(value)
    try:
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[quote(value.pk)],
            current_app=site.name,
        )
    except NoReverseMatch:
        return str(value)
    return format_html('<a href="{}">{}</a>', url, value)


def _cell(row: models.Model, column, site: admin.AdminSite) -> str:
    if isinstance(column, tuple):
        return column[1](row)
    field = row._meta.get_field(column)
    if field.is_relation:
        value = getattr(row, column)
        return EMPTY if value is None else _related(value, site)
    return display_for_field(getattr(row, column), field, EMPTY)


def case_admin_activity(
    *, user, case: Case, site: admin.AdminSite = admin.site
) -> list[ActivityTable]:
    """The tables the case's admin page shows below its fields (one query per table the user
    may see, whatever the number of rows)."""
    tables = []
    for model, rows_of, columns in TABLES:
        if not _may_view(user, model):
            continue
        opts = model._meta
        headers = tuple(
            str(opts.get_field(c[0] if isinstance(c, tuple) else c).verbose_name) for c in columns
        )
        rows = tuple(tuple(_cell(row, c, site) for c in columns) for row in rows_of(case))
        tables.append(
            ActivityTable(
                key=opts.model_name, title=str(opts.verbose_name_plural), headers=headers, rows=rows
            )
        )
    return tables
