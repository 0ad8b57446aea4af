"""What every screen of the workspace and the auditor views shares.

- :class:`ActionRequiredMixin`: the one gate. Anonymous -> the login page; a user whom
  ``kmcs_site.permissions.user_can`` refuses the screen's action -> 403. No view checks a
  group by hand.
- :class:`CaseActionView`: a POST that calls one service on one case. The case is fetched
  through the visibility selector (someone else's case is a 404, never a 403); a domain error
  becomes a Korean message and the page redirects back with nothing changed (every service is
  one transaction).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from cases.exceptions import CaseError
from cases.models import Case
from cases.selectors import case_few_visible_to
from kmcs_site.permissions import user_can


def is_htmx(request) -> bool:
    """A request made by htmx (it wants a fragment, not the whole page)."""
    return request.headers.get("HX-Request") == "true"


class ActionRequiredMixin:
    """Refuse the view unless ``user_can(request.user, self.action)``.

    Runs before the method dispatch, so an anonymous POST goes to the login page too; a user
    who may open the screen and sends a method it does not accept gets 405.
    """

    action: str = ""

    def get_action(self) -> str:
        if not self.action:
            raise NotImplementedError(f"{type(self).__name__}.action is not set")
        return self.action

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_can(request.user, self.get_action()):
            raise PermissionDenied("이 화면을 볼 권한이 없습니다.")
        return super().dispatch(request, *args, **kwargs)


def visible_case_or_404(user, case_id) -> Case:
    """The case if ``user`` may see it (the selector's scope), else 404: no existence leak.

    The one-case form of the scope (``EXISTS`` of the work permission for this row): the list
    form read every case an agent ever held on each action (issue 17)."""
    return get_object_or_404(case_few_visible_to(user=user), pk=case_id)


def case_url(case_id) -> str:
    return reverse("workspace:case", kwargs={"case_id": case_id})


def report_form_errors(request, form) -> None:
    """Show a bound form's errors as messages (the action forms live on the case page)."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


class CaseActionView(ActionRequiredMixin, View):
    """POST /work/cases/<id>/<verb>/: validate the form, call ONE service, redirect back.

    Subclasses set ``action`` (the role gate: 403 for roles that may never do it), optionally
    ``form_class``, and implement :meth:`perform` returning the success message. The service
    asks ``user_can`` again with the case (object rules) and raises a ``CaseError`` with a
    Korean message when it refuses.
    """

    http_method_names = ["post"]
    form_class = None
    #: htmx posts from the checklist get the live part of the case page back (steps, messages,
    #: status, log, flash messages) instead of a redirect and a full reload (issue 14.6).
    htmx_partial = False

    def get_form(self):
        return self.form_class(self.request.POST) if self.form_class is not None else None

    def perform(self, case: Case, form) -> str:
        raise NotImplementedError

    def success_url(self, case: Case) -> str:
        return case_url(case.pk)

    def post(self, request, case_id):
        case = visible_case_or_404(request.user, case_id)
        form = self.get_form()
        if form is not None and not form.is_valid():
            report_form_errors(request, form)
            return self.answer(request, case, failed=True)
        try:
            message = self.perform(case, form)
        except CaseError as exc:
            messages.error(request, exc.message)
            return self.answer(request, case, failed=True)
        if message:
            messages.success(request, message)
        return self.answer(request, case)

    def answer(self, request, case: Case, *, failed: bool = False):
        """Back to the case page, or (htmx, ``htmx_partial``) its live part in place."""
        if self.htmx_partial and is_htmx(request):
            from cases.views.live import case_live_response

            return case_live_response(request, case.pk)
        return redirect(case_url(case.pk) if failed else self.success_url(case))
