"""URLs of the agent workspace (/work/), the auditor history (/audit/), login and the landing.

``kmcs_site/urls.py`` includes each list under its prefix with its namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from cases.views import actions, attachments, auditor, live, workspace
from cases.views import search as search_views

workspace_patterns = [
    path("", workspace.QueueView.as_view(), name="queue"),
    path("cases/", workspace.CaseListView.as_view(), name="case_list"),
    path("next/", live.NextCaseView.as_view(), name="case_next"),
    path("search/", search_views.SearchView.as_view(), name="search"),
    path("cases/new/", workspace.CaseNewChooseView.as_view(), name="case_new"),
    path("cases/new/<str:playbook>/", workspace.CaseCreateView.as_view(), name="case_create"),
    path("cases/<int:case_id>/", workspace.CaseDetailView.as_view(), name="case"),
    path("cases/<int:case_id>/take/", actions.TakeView.as_view(), name="case_take"),
    path("cases/<int:case_id>/decide/", actions.DecideView.as_view(), name="case_decide"),
    path("cases/<int:case_id>/override/", actions.OverrideView.as_view(), name="case_override"),
    path("cases/<int:case_id>/steps/", actions.StepCompleteView.as_view(), name="case_step"),
    path("cases/<int:case_id>/steps/send/", actions.StepSendView.as_view(), name="case_step_send"),
    path("cases/<int:case_id>/steps/na/", actions.StepMarkNAView.as_view(), name="case_step_na"),
    path(
        "cases/<int:case_id>/force-close/",
        actions.ForceCloseView.as_view(),
        name="case_force_close",
    ),
    path("cases/<int:case_id>/contacts/", actions.ContactLogView.as_view(), name="case_contact"),
    path(
        "cases/<int:case_id>/posts/",
        actions.EscalationPostCreateView.as_view(),
        name="case_post",
    ),
    path(
        "cases/<int:case_id>/posts/link/",
        actions.EscalationPostLinkView.as_view(),
        name="case_post_link",
    ),
    path(
        "cases/<int:case_id>/posts/publish/",
        actions.EscalationPostPublishView.as_view(),
        name="case_post_publish",
    ),
    path(
        "cases/<int:case_id>/posts/retry/",
        actions.EscalationPostRetryView.as_view(),
        name="case_post_retry",
    ),
    path("cases/<int:case_id>/emails/", actions.CaseEmailSendView.as_view(), name="case_email"),
    path(
        "cases/<int:case_id>/emails/retry/",
        actions.CaseEmailRetryView.as_view(),
        name="case_email_retry",
    ),
    path("cases/<int:case_id>/answer/", actions.AnswerSaveView.as_view(), name="case_answer"),
    path("cases/<int:case_id>/record/", actions.RecordView.as_view(), name="case_record"),
    path(
        "cases/<int:case_id>/messages/sent-by-hand/",
        actions.MessageSentByHandView.as_view(),
        name="case_message_sent_by_hand",
    ),
    path(
        "cases/<int:case_id>/transition/",
        actions.TransitionView.as_view(),
        name="case_transition",
    ),
    path("cases/<int:case_id>/unmask/", actions.UnmaskView.as_view(), name="case_unmask"),
    path("cases/<int:case_id>/link/", search_views.CaseLinkView.as_view(), name="case_link"),
    path("cases/<int:case_id>/merge/", search_views.CaseMergeView.as_view(), name="case_merge"),
    path(
        "cases/<int:case_id>/attachments/",
        attachments.AttachmentAddView.as_view(),
        name="case_attachment_add",
    ),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/",
        attachments.AttachmentFileView.as_view(),
        name="case_attachment",
    ),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/thumbnail/",
        attachments.AttachmentFileView.as_view(thumbnail=True),
        name="case_attachment_thumbnail",
    ),
    path(
        "cases/<int:case_id>/facts/",
        workspace.FactsRevisionView.as_view(),
        name="case_revise_facts",
    ),
]

audit_patterns = [
    path("", auditor.HistoryView.as_view(), name="history"),
    path("cases/<int:case_id>/", auditor.CaseHistoryView.as_view(), name="case_history"),
]

account_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            redirect_authenticated_user=True,
            next_page="landing",
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
]

landing = workspace.LandingView.as_view()

#: (patterns, namespace) pairs for ``include()``.
workspace_urls = (workspace_patterns, "workspace")
audit_urls = (audit_patterns, "audit")
