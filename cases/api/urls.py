"""/api/v1/: the playbook simulator, case intake, case reads and exports, schema and docs."""

from django.urls import path, re_path

from cases.api import views
from cases.playbooks import PLAYBOOKS

app_name = "api"

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", views.RedocView.as_view(url_name="api:schema"), name="redoc"),
    path("playbooks/", views.PlaybookListView.as_view(), name="playbook-list"),
    # One documented route per playbook (its own facts in the schema), then the generic one,
    # which answers 404 for unknown codes (and serves playbooks registered at run time).
    *[
        path(
            f"playbooks/{code}/evaluate/",
            views.evaluate_view_for(code).as_view(),
            name=f"playbook-evaluate-{code}",
        )
        for code in PLAYBOOKS
    ],
    path(
        "playbooks/<str:code>/evaluate/",
        views.PlaybookEvaluateView.as_view(),
        name="playbook-evaluate",
    ),
    path("cases/", views.CaseCollectionView.as_view(), name="case-list"),
    path("cases/batch/", views.CaseBatchView.as_view(), name="case-batch"),
    path("cases/export/", views.CaseExportView.as_view(), name="case-export"),
    path("cases/<int:case_id>/", views.CaseDetailView.as_view(), name="case-detail"),
    # Anything else under /api/v1/ is a JSON 404, not Django's HTML page.
    re_path(r"^.*$", views.api_not_found, name="not-found"),
]
