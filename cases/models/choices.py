"""Stable codes of the cases app (English snake case, they cross the API) with Korean labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.playbooks.base import RESULT_TYPES


class PlaybookCode(models.TextChoices):
    PARKING_DOUBLE_PAYMENT = "parking_double_payment", _("주차 이중결제 (타사 주차권)")
    PARKING_OPERATIONS = "parking_operations", _("주차 운영 (정기권·주차장 정보)")
    DRIVER_NONRIDE_CANCEL = "driver_nonride_cancel", _("대리 미운행건 결제취소")
    EV_CHARGING = "ev_charging", _("전기차 미충전·미결제")
    TRAFFIC_FINE = "traffic_fine", _("과태료 처리")


class Service(models.TextChoices):
    PARKING = "parking", _("주차")
    DRIVER = "driver", _("대리")
    EV = "ev", _("전기차충전")


#: The service a playbook belongs to: decides the agent queue a new case lands in.
SERVICE_OF_PLAYBOOK = {
    PlaybookCode.PARKING_DOUBLE_PAYMENT: Service.PARKING,
    PlaybookCode.PARKING_OPERATIONS: Service.PARKING,
    PlaybookCode.DRIVER_NONRIDE_CANCEL: Service.DRIVER,
    PlaybookCode.EV_CHARGING: Service.EV,
    PlaybookCode.TRAFFIC_FINE: Service.DRIVER,
}


class Channel(models.TextChoices):
    CHAT = "chat", _("채팅")
    PHONE = "phone", _("유선")
    CHATBOT_BOARD = "chatbot_board", _("챗봇 게시판")
    APP_BOARD = "app_board", _("T앱 게시판")


class Status(models.TextChoices):
    NEW = "new", _("신규")
    IN_PROGRESS = "in_progress", _("처리중")
    WAITING = "waiting", _("대기")
    DECIDED = "decided", _("처리결정")
    CLOSED = "closed", _("종결")


#: Statuses in which a case still counts as "open" for the duplicate guard (seed 002: 중복 접수 =
#: "이미 처리 진행 중인 동일 문의"). A decided case is no longer in progress.
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
DONE_STATUSES = (Status.DECIDED, Status.CLOSED)
#: What "내 큐" holds: every case still to be worked, decided ones included until they close (a
#: decided case waiting on the CPO or the team still has steps to do and must not vanish). The
#: queue's partial indexes (``Case.Meta.indexes``) are built on exactly this set.
QUEUE_STATUSES = (*OPEN_STATUSES, Status.DECIDED)


class WaitingOn(models.TextChoices):
    CUSTOMER = "customer", _("고객")
    DRIVER = "driver", _("기사")
    PARTNER = "partner", _("제휴사·운영사")
    CPO = "cpo", _("충전사업자(CPO)")
    TEAM = "team", _("담당부서·팀장")
    PAYOUT_BATCH = "payout_batch", _("지급 배치")


#: 처리결과(유형), from the shared contract (cases.playbooks.base.RESULT_TYPES): code -> label.
ResultType = models.TextChoices(
    "ResultType", [(code.upper(), (code, label)) for code, label in RESULT_TYPES.items()]
)


class Audience(models.TextChoices):
    CUSTOMER = "customer", _("고객")
    DRIVER = "driver", _("기사")


class StepStatus(models.TextChoices):
    PENDING = "pending", _("대기")
    DONE = "done", _("완료")
    SKIPPED = "skipped", _("건너뜀")
    #: Marked not applicable by a person, with a reason (CaseStep.na_reason): counts as done
    #: for closing and for reaching the steps after it.
    NOT_APPLICABLE = "not_applicable", _("해당 없음")


class StepKind(models.TextChoices):
    ACTION = "action", _("처리")
    SAY = "say", _("안내")
    SMS = "sms", _("문자")
    MEMO = "memo", _("메모")
    POST = "post", _("아지트")
    PAYOUT = "payout", _("지급")
    CHECK = "check", _("확인")


class ContactResult(models.TextChoices):
    ANSWERED = "answered", _("통화")
    NO_ANSWER = "no_answer", _("부재")
    OTHER = "other", _("기타")


class PostReason(models.TextChoices):
    PLAYBOOK = "playbook", _("플레이북 지정")
    OB_NO_ANSWER = "ob_no_answer", _("OB 부재")
    SPECIAL = "special", _("특이사항")
    MANUAL = "manual", _("직접 작성")
