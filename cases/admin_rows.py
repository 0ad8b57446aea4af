"""The case change list's rows, written straight to HTML (issue 17 round 3).

Django's ``{% result_list %}`` builds each cell through ``items_for_result``: ``lookup_field``,
``display_for_field``, one ``reverse`` and one ``add_preserved_filters`` per link, and a
checkbox widget rendered through the form renderer's template for every row. On the case list
(50 rows x 13 columns) that was about half of the page's time, ten times its SQL.

:func:`result_rows` writes the same markup (same classes, links with the preserved filters,
the same checkbox and its ``aria-label``) with everything that is the same for every row worked
out once per page: how each column reads its value, the change URL with its query string, the
translated label of the checkbox. Per row it is attribute reads, the admin's display methods
and ``escape``. Headers, sorting and actions stay Django's (``result_headers``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_value, quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

from cases.selectors import TABLE_DEFERRED

#: Stands for the row's primary key in the change URL reversed once per page.
PK_SLOT = "kmcs-pk-slot"


def _cell_text(value: Any, empty: str, boolean: bool = False) -> str:
    """``display_for_value`` + ``format_html``'s escaping, with plain text first."""
    if value is None:
        return empty
    if isinstance(value, str) and not boolean:
        if isinstance(value, SafeData):
            return str(value)
        return escape(value) if value.strip() else ""
    shown = display_for_value(value, empty, boolean)
    return str(shown) if isinstance(shown, SafeData) else escape(shown)


def _column_reader(cl, name: str, empty: str) -> tuple[Callable[[Any], str], list[str]]:
    """How column ``name`` turns a row into its cell text, and the cell's CSS classes: decided
    once per page, as ``items_for_result`` decides it per cell."""
    classes = [f"field-{name}"]
    model_admin = cl.model_admin
    try:
        field = cl.lookup_opts.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is None or field.auto_created and not field.concrete:
        method = getattr(model_admin, name, None)
        if callable(method):
            column_empty = getattr(method, "empty_value_display", empty)
            boolean = getattr(method, "boolean", False)
            return (lambda obj: _cell_text(method(obj), column_empty, boolean)), classes
        attr = name

        def read_attr(obj):
            value = getattr(obj, attr)
            if callable(value):
                value = value()
            return _cell_text(value, empty)

        return read_attr, classes
    if isinstance(field, models.ForeignKey):
        classes.append("nowrap")
        fname = field.name

        def read_fk(obj):
            related = getattr(obj, fname)
            return empty if related is None else escape(str(related))

        return read_fk, classes
    attname = field.attname
    if isinstance(field, models.DateTimeField):
        classes.append("nowrap")

        def read_datetime(obj):
            value = getattr(obj, attname)
            if value is None:
                return empty
            return escape(formats.localize(timezone.template_localtime(value)))

        return read_datetime, classes
    if isinstance(field, models.DateField | models.TimeField):
        classes.append("nowrap")
    if field.flatchoices or isinstance(
        field, models.BooleanField | models.DecimalField | models.FloatField | models.FileField
    ):
        # Rare types: Django's own display (choices, icons, number formats), still per cell.
        from django.contrib.admin.utils import display_for_field

        def read_field(obj):
            return _cell_text(display_for_field(getattr(obj, attname), field, empty), empty)

        return read_field, classes
    if isinstance(field, models.IntegerField):

        def read_int(obj):
            value = getattr(obj, attname)
            return empty if value is None else escape(formats.number_format(value))

        return read_int, classes

    def read_text(obj):
        value = getattr(obj, attname)
        if value is None:
            return empty
        value = str(value)
        # A field's empty values ("" and blanks) show the empty mark, as display_for_field.
        return escape(value) if value.strip() else empty

    return read_text, classes


def _links(cl) -> tuple[set[str], str]:
    """Which columns link to the change page, and that page's URL with ``PK_SLOT`` for the pk
    and the list's filters preserved (as ``items_for_result``: reverse + add_preserved_filters)."""
    if cl.list_display_links is None:
        return set(), ""
    names = set(cl.list_display_links or ()) or {cl.list_display[0]}
    opts = cl.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=(PK_SLOT,),
        current_app=cl.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)
    return names, url


def result_rows(cl) -> list[ResultList]:
    """The rows of ``cl.result_list`` for ``admin/change_list_results.html``: each row is one
    piece of HTML (the template then loops once per row, not once per cell). Read-only lists
    only: a list with ``list_editable`` (a formset) goes through Django's own rows."""
    empty = str(cl.model_admin.get_empty_value_display())
    link_names, url_pattern = _links(cl)
    columns = []
    first_link = True
    for name in cl.list_display:
        if name == "action_checkbox":
            columns.append(("checkbox", None, ""))
            continue
        reader, classes = _column_reader(cl, name, empty)
        if name in link_names:
            tag = "th" if first_link else "td"
            first_link = False
        else:
            tag = ""
        columns.append((tag, reader, " ".join(classes)))
    # Django's own label, translated once: "Select this object for an action - {}".
    aria = gettext("Select this object for an action - {}")
    pk_attname = cl.lookup_opts.pk.attname
    rows = []
    for obj in cl.result_list:
        pk = quote(getattr(obj, pk_attname))
        cells = []
        for tag, reader, classes in columns:
            if tag == "checkbox":
                cells.append(
                    '<td class="action-checkbox"><input type="checkbox" '
                    f'name="{ACTION_CHECKBOX_NAME}" value="{escape(pk)}" class="action-select" '
                    f'aria-label="{aria.format(escape(str(obj)))}"></td>'
                )
            elif tag:
                url = escape(url_pattern.replace(PK_SLOT, str(pk)))
                cells.append(f'<{tag} class="{classes}"><a href="{url}">{reader(obj)}</a></{tag}>')
            else:
                cells.append(f'<td class="{classes}">{reader(obj)}</td>')
        # Cells are escaped as Django's items_for_result does (tests/cases/test_admin_rows.py).
        rows.append(ResultList(None, [mark_safe("".join(cells))]))  # nosec B308 B703
    return rows


#: Columns the case list never shows: the same as the workspace tables' (the facts and proposal
#: JSON, several KB decoded per row, and the long texts). Deferred for the rows of the list page
#: only; actions and the change page read whole cases.
CHANGELIST_DEFERRED = TABLE_DEFERRED


class CaseChangeList(ChangeList):
    """The case list's rows without the columns it never shows (issue 17 round 3: decoding
    50 proposal snapshots cost more than the list's SQL)."""

    def get_results(self, request):
        self.queryset = self.queryset.defer(*CHANGELIST_DEFERRED)
        super().get_results(request)
