from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from cases import urls as cases_urls
from cases.views.inbound_mail import MailgunInboundView
from templates_app.views import SmsDeliveryReportView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("cases.api.urls")),
    path("", cases_urls.landing, name="landing"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the static icon.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("kmcs/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("accounts/", include(cases_urls.account_patterns)),
    path("work/", include(cases_urls.workspace_urls)),
    path("audit/", include(cases_urls.audit_urls)),
    path("dashboard/", include("cases.dashboard.urls")),
    path("notifications/", include("notifications.urls")),
    # Providers' signed delivery reports (issue 16; no session, HMAC instead).
    path("integrations/sms/reports/", SmsDeliveryReportView.as_view(), name="sms_delivery_report"),
    # Provider webhooks (issue 16): signed by the provider, no login.
    path("integrations/mail/mailgun/", MailgunInboundView.as_view(), name="inbound_mail_mailgun"),
]
