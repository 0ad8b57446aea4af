"""/dashboard/ (namespace ``dashboard``), included once from kmcs_site/urls.py."""

from django.urls import path

from cases.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="index"),
    path("overdue/", views.OverdueQueueView.as_view(), name="overdue"),
    path("cases/<int:case_id>/clocks/pause/", views.ClockPauseView.as_view(), name="clock_pause"),
    path(
        "cases/<int:case_id>/clocks/resume/", views.ClockResumeView.as_view(), name="clock_resume"
    ),
]
