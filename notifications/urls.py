"""/notifications/: the person's own notifications and e-mail setting (issue 14 item 5)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("<int:notification_id>/read/", views.NotificationReadView.as_view(), name="read"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="read_all"),
    path("settings/", views.PreferenceView.as_view(), name="preferences"),
]
