"""Reference data of the cases app (consultation types, campaigns), loaded by the data migration
on a fresh database and by ``cases.bootstrap`` (``manage.py kmcs_bootstrap``) on an existing one.

Both functions take the model classes so the migration can pass its historical models. They
create what is missing and never overwrite what people edited (a campaign extended in the
admin keeps its new end date).
"""

from __future__ import annotations

from datetime import date

from cases.consultation_types import SEPARATOR, all_paths

CAMPAIGNS = (
    {
        "code": "parking_ticket_coupon",
        "name": "카카오 T 주차권 구매 권유 및 할인쿠폰 지급 (타사 주차권 이중결제 고객)",
        "starts_on": date(2024, 11, 27),
        "ends_on": date(2024, 12, 31),
        "description": (
            "seed 000: 2024년 11월 27일(수) ~ 2024년 12월 31일(화), 테스트운영 이후 연장 시 "
            "재공지 예정. 연장은 종료일 수정으로 합니다 (이력에 남습니다)."
        ),
    },
)


def seed_consultation_types(ConsultationType, paths=None) -> int:
    """Create every node of ``paths`` (default: all_paths()) that is missing. Returns the count."""
    paths = [tuple(p) for p in (paths if paths is not None else all_paths())]
    prefixes_with_children = {p[:i] for p in paths for i in range(1, len(p))}
    created = 0
    for path in paths:
        parent = None
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            node, was_created = ConsultationType.objects.get_or_create(
                path_label=SEPARATOR.join(prefix),
                defaults={
                    "parent": parent,
                    "name": prefix[-1],
                    "level": depth,
                    "is_leaf": prefix not in prefixes_with_children,
                },
            )
            created += was_created
            if not was_created and node.is_leaf and prefix in prefixes_with_children:
                # Structure, not an edit: a node that gained children is no longer a leaf.
                node.is_leaf = False
                node.save(update_fields=["is_leaf"])
            parent = node
    return created


def seed_campaigns(Campaign) -> int:
    created = 0
    for row in CAMPAIGNS:
        _obj, was_created = Campaign.objects.get_or_create(
            code=row["code"], defaults={k: v for k, v in row.items() if k != "code"}
        )
        created += was_created
    return created
