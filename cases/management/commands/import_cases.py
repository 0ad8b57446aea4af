"""``manage.py import_cases FILE.csv|FILE.jsonl --as-user USERNAME``: chatbot-board exports.

The row format and the rules are in :mod:`cases.intake.importer`; the run (batches, rejects
file, progress, resume) in :mod:`cases.intake.runner` and :mod:`cases.intake.command`.
"""

from django.core.management.base import CommandError

from cases.intake.command import ImportCommand
from cases.intake.importer import CaseRowHandler, check_csv_header


class Command(ImportCommand):
    help = (
        "챗봇 게시판 내보내기(CSV/JSONL)를 케이스로 가져옵니다. 모든 행을 검사하고, 좋은 행은 "
        "배치로 저장하며, 거부된 행은 사유와 함께 거부 파일에 씁니다. 다시 실행하면 이미 가져온 "
        "행(멱등 키)은 건너뜁니다."
    )
    # The bulk door (api.case.import: leads, managers, the integration role) and intake itself.
    actions = ("api.case.import", "cases.case.intake")
    denied = "케이스를 가져올 권한이 없습니다"

    def check_header(self, header):
        unknown = check_csv_header(header)
        if unknown:
            raise CommandError(f"알 수 없는 열입니다: {', '.join(unknown)}")
        if "playbook" not in header or "channel" not in header:
            raise CommandError("playbook, channel 열이 있어야 합니다.")

    def make_handler(self, *, actor, fmt, header):
        return CaseRowHandler(actor=actor, fmt=fmt)
