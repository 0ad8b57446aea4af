"""How a CEMS template is written down in code (the catalogue), before it is a database row.

Placeholders are ``{{ name }}`` (double braces, a Python identifier inside, spaces allowed).
Every placeholder must be declared in ``variables`` with one of :data:`VARIABLE_TYPES`, and
every declared variable must appear in the body. Values are formatted by type, one way
everywhere (``templates_app.render``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: type code -> what a value must be, and how it is shown.
VARIABLE_TYPES = {
    "text": "str, shown as is (user text is a value, never template code)",
    "int": "int, shown as digits",
    "amount": "int KRW, shown as 12,300원",
    "date_md": "date, shown as 3월 5일 (the seeds' '0월 0일')",
    "date_ymd": "date, shown as 2024년 03월 05일 (the seeds' '0000년 00월 00일')",
    "datetime": "aware datetime, shown in Asia/Seoul as 2024년 03월 05일 14:30",
    "phone": "Korean phone number, shown masked as 010-****-5678",
    "call_id": "str of digits (콜 ID), shown as is",
    "url": "http(s) URL, shown as is",
}

AUDIENCES = ("customer", "driver")


@dataclass(frozen=True)
class TemplateDef:
    name: str  # the CEMS template name, unique, e.g. 대리_챗봇게시판_기사미운행건결제취소(승인)
    audience: str  # one of AUDIENCES
    service: str  # parking | driver | ev | common
    body: str
    variables: dict[str, str] = field(default_factory=dict)  # name -> VARIABLE_TYPES key
    description: str = ""  # when it is used (Korean)
    source: str = ""  # seed file and section it comes from, or "written in the seed's voice"
    #: The stable key (SmsTemplate.code) playbooks name the template by; empty = ``name``
    #: (every template seeded before the key existed is keyed by its original CEMS name).
    code: str = ""
    sending_system: str = "cems"  # cems | mcrm (seed 004: 포인트 차감 예정 SMS는 MCRM에서 발송)
    #: False for a message the seed does not prescribe: a lead turns it on in the admin.
    enabled: bool = True

    @property
    def key(self) -> str:
        return self.code or self.name
