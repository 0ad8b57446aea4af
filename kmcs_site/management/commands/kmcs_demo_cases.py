"""Create the demo cases (every playbook in every state, dated around today).

Run after ``kmcs_demo_users`` (``./bin/dev`` does). Idempotent: a second run creates nothing.
Refuses with DEBUG off unless --force, like the demo users.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kmcs_site.demo_data import (
    AGE_DAYS,
    DEMO_SERVICES,
    DemoCase,
    demo_plan,
    demo_uploads,
    phones,
)


class Command(BaseCommand):
    help = "데모 케이스(플레이북별 신규·처리중·대기·결정·종결·기한초과)를 만듭니다. 다시 실행해도 늘지 않습니다."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="DEBUG가 꺼져 있어도 실행")

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG가 꺼진 환경에서는 데모 케이스를 만들지 않습니다 (--force로 강제)."
            )
        users = self._users()
        self._services(users)
        created = 0
        problems: list[str] = []
        for item in demo_plan():
            try:
                created += self._one(item, users)
            except Exception as exc:  # one bad demo case must not stop the rest
                problems.append(f"{item.slug}: {exc}")
        self._mark_overdue()
        for problem in problems:
            self.stderr.write(f"  건너뜀 {problem}")
        self.stdout.write(
            self.style.SUCCESS(f"데모 케이스: 새로 {created}건 (전체 {len(demo_plan())}건 계획)")
        )

    # --- setup ---------------------------------------------------------------------------
    def _users(self) -> dict:
        User = get_user_model()
        names = ("lead", "deputy", "agent", "agent2", "manager")
        found = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise CommandError(
                f"데모 사용자가 없습니다: {', '.join(missing)}. 먼저 kmcs_demo_users 를 실행하세요."
            )
        return found

    def _services(self, users) -> None:
        from cases.models import StaffProfile
        from cases.services import staff_profile_set_services

        have = {p.user_id: sorted(p.services) for p in StaffProfile.objects.all()}
        for username, services in DEMO_SERVICES.items():
            user = users[username]
            if have.get(user.pk) != sorted(services):
                staff_profile_set_services(user=user, services=services, actor=users["lead"])

    # --- one case ------------------------------------------------------------------------
    def _one(self, item: DemoCase, users) -> int:
        from cases.services.attachments import case_create_with_attachments

        now = timezone.now()
        created_at = now - timedelta(days=AGE_DAYS[item.state], hours=1 + item.serial % 5)
        today = timezone.localdate(created_at)
        customer, driver = phones(item.serial)
        agent = users["agent2"] if item.serial % 3 == 0 else users["agent"]
        facts = item.variant.facts(today, item.serial)
        # A "첨부 여부" fact that is true comes with its (generated, fake) file, stored on the
        # case in the same transaction; a re-run (same idempotency key) stores nothing.
        result = case_create_with_attachments(
            uploads=demo_uploads(item.variant.playbook, facts, item.serial),
            playbook=item.variant.playbook,
            facts=facts,
            channel="chatbot_board",
            actor=agent,
            customer_phone=customer,
            driver_phone=driver if item.variant.driver_phone else None,
            idempotency_key=item.idempotency_key,
            at=created_at,
        )
        self._advance(result.case, item, agent, users, created_at)
        return 1 if result.created else 0

    def _advance(self, case, item: DemoCase, agent, users, created_at) -> None:
        """Move the case on to its demo state, from wherever it is (re-runs do nothing)."""
        from cases.services import case_decide, case_take, case_transition

        case.refresh_from_db()
        if item.state == "new" or case.status == "closed":
            return
        at = created_at + timedelta(minutes=20)
        if case.assignee_id is None:
            case_take(case=case, actor=agent, at=at)
        owner = case.assignee or agent
        if case.status == "new":
            case_transition(case=case, transition="start", actor=owner, at=at)
        if item.state == "in_progress":
            return
        if item.state == "waiting":
            if case.status == "in_progress":
                case_transition(
                    case=case,
                    transition="wait",
                    actor=owner,
                    waiting_on="customer",
                    note="고객 회신 대기 (데모)",
                    at=at + timedelta(minutes=5),
                )
            return
        if case.status in ("in_progress", "waiting"):
            decide_at = at + timedelta(minutes=10)
            if item.variant.override:
                case_decide(
                    case=case,
                    actor=users["lead"],
                    override_outcome=item.variant.override,
                    override_reason="미터기 지도 확인: 출발지와 마지막 지점이 다름 (데모)",
                    at=decide_at,
                )
            else:
                case_decide(case=case, actor=owner, at=decide_at)
        if item.state == "closed":
            self._finish(case, owner, users, at + timedelta(hours=2))

    def _finish(self, case, owner, users, at) -> None:
        """Do what closing asks: messages delivered, steps done, Agit links, then close."""
        from cases.exceptions import CaseError
        from cases.services import case_step_complete, case_transition, escalation_post_mark_posted
        from templates_app.errors import MessageError
        from templates_app.services import message_mark_sent_by_hand

        case.refresh_from_db()
        for message in case.outbound_messages.all():
            if not message.is_delivered:
                with contextlib.suppress(MessageError):
                    message_mark_sent_by_hand(
                        message=message, reason="CEMS 직접 발송 (데모)", actor=owner
                    )
        for post in case.escalation_posts.filter(link_url=""):
            escalation_post_mark_posted(
                post=post, link_url=f"https://agit.example/demo/{post.pk}", actor=owner, at=at
            )
        for step in case.steps.filter(status="pending").order_by("order"):
            for actor in (owner, users["lead"], users["manager"]):
                try:
                    case_step_complete(case=case, step_code=step.code, actor=actor, at=at)
                    break
                except CaseError:
                    continue
        case_transition(case=case, transition="close", actor=owner, at=at + timedelta(minutes=5))

    def _mark_overdue(self) -> None:
        from cases.services.clocks import clocks_mark_overdue

        clocks_mark_overdue()
