"""Models of the cases app, one module per concept, re-exported here."""

from cases.models.attachment import AttachmentKind, CaseAttachment
from cases.models.campaign import Campaign
from cases.models.case import Case, CaseUserObjectPermission
from cases.models.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    SERVICE_OF_PLAYBOOK,
    Audience,
    Channel,
    ContactResult,
    PlaybookCode,
    PostReason,
    ResultType,
    Service,
    Status,
    StepKind,
    StepStatus,
    WaitingOn,
)
from cases.models.clock import ClockStop, StepClock
from cases.models.consultation_type import ConsultationType
from cases.models.contact import ContactAttempt
from cases.models.email import CaseEmail, EmailDirection, EmailStatus, InboundMailToken
from cases.models.escalation import AgitDelivery, EscalationPost
from cases.models.relation import CaseLink, LinkKind
from cases.models.revision import FactRevision
from cases.models.staff import StaffProfile
from cases.models.step import CaseStep
from cases.models.summary import CaseDaySummary, DecisionDurationSummary, SummaryState
from cases.models.unmask import UnmaskLog

__all__ = [
    "AgitDelivery",
    "AttachmentKind",
    "DONE_STATUSES",
    "OPEN_STATUSES",
    "SERVICE_OF_PLAYBOOK",
    "Audience",
    "Campaign",
    "Case",
    "CaseAttachment",
    "CaseDaySummary",
    "DecisionDurationSummary",
    "CaseEmail",
    "CaseLink",
    "CaseStep",
    "CaseUserObjectPermission",
    "Channel",
    "ClockStop",
    "ConsultationType",
    "ContactAttempt",
    "ContactResult",
    "EmailDirection",
    "EmailStatus",
    "EscalationPost",
    "FactRevision",
    "InboundMailToken",
    "LinkKind",
    "PlaybookCode",
    "PostReason",
    "ResultType",
    "Service",
    "StaffProfile",
    "SummaryState",
    "Status",
    "StepClock",
    "StepKind",
    "StepStatus",
    "UnmaskLog",
    "WaitingOn",
]
