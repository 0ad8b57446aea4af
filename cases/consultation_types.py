"""The consultation-type tree (상담유형) as the seeds write it: one definition, used to seed the
``ConsultationType`` table and by the playbooks to name the leaf a case belongs to.

Paths are tuples of level names (서비스 ▶ 대분류 ▶ 중분류 ▶ 소분류). Where a seed lists
alternatives for a level ("연동, 비연동, 기타"; "직영 외, 센터필드") each becomes its own leaf.
Seed 002 files driver cases under "서비스 타입(콜타입)"; the issue spells that leaf "콜타입".
Paths marked ``not in seed`` are the team's own filing for playbooks whose seed names no type.
"""

SEPARATOR = " ▶ "

PARKING_DOUBLE_PAYMENT = {
    "linked": ("주차_고객", "결제", "이중결제", "연동"),
    "unlinked": ("주차_고객", "결제", "이중결제", "비연동"),
    "other": ("주차_고객", "결제", "이중결제", "기타"),
}

#: Seed 002 "상담유형: 대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 서비스 타입(콜타입)": the 4th level is
#: the call's service type, a fact of the call (issue 15 B 002), not a constant. The seeds name
#: a driver call's type (콜 구분) as 자사콜 / 위탁콜 (seed 004), the same codes as fines.codes.
DRIVER_PAYMENT_CANCEL_PREFIX = ("대리_기사", "요금/포인트", "결제취소")
DRIVER_SERVICE_TYPES = {"own": "자사콜", "consigned": "위탁콜"}
#: The leaf of a call whose service type was not given (and of the cases filed before it was a
#: fact): the seed's own placeholder word.
DRIVER_PAYMENT_CANCEL = (*DRIVER_PAYMENT_CANCEL_PREFIX, "콜타입")
DRIVER_PAYMENT_CANCEL_BY_SERVICE = {
    code: (*DRIVER_PAYMENT_CANCEL_PREFIX, label) for code, label in DRIVER_SERVICE_TYPES.items()
}


def driver_payment_cancel(
    service_type: str | None, prefix: tuple[str, ...] = DRIVER_PAYMENT_CANCEL_PREFIX
) -> tuple[str, ...]:
    """The seed 002 path (``prefix`` + the call's service type); without one, the
    placeholder leaf "콜타입" until the agent states it."""
    label = DRIVER_SERVICE_TYPES.get(service_type or "", DRIVER_PAYMENT_CANCEL[-1])
    return (*prefix, label)


EV_NOT_CHARGED = {
    "non_direct": ("전기차충전", "오류", "미충전결제", "직영 외"),
    "center_field": ("전기차충전", "오류", "미충전결제", "센터필드"),
}
EV_PAYMENT_FAILED = {
    "non_direct": ("전기차충전", "결제", "결제실패/미수", "직영 외"),
    "center_field": ("전기차충전", "결제", "결제실패/미수", "센터필드"),
}

# not in seed: seed 001 gives no consultation type; filed under the request kinds it lists.
PARKING_OPERATIONS = {
    "car_number_change": ("주차_고객", "정기권", "차량번호 변경"),
    "unregistered": ("주차_고객", "정기권", "미등록"),
    "midterm_cancel": ("주차_고객", "정기권", "중도해지/환불"),
    "onsite_payment_cancel": ("주차_고객", "정기권", "현장결제 취소"),
    "lot_info_change": ("주차_고객", "주차장정보", "정보수정"),
    "stop_selling": ("주차_고객", "주차장정보", "노출/판매중지"),
    # seed 001 tables 6 (주차권) and 7 (63빌딩 환불정책)
    "parking_ticket": ("주차_고객", "주차권", "주차권 문의"),
    "parking_refund": ("주차_고객", "주차권", "현장 환불정책"),
}

# not in seed: seed 004 names the fine categories (구분), not a type path.
TRAFFIC_FINE = {
    "general": ("대리_고객", "과태료", "일반_과태료"),
    "consigned": ("대리_고객", "과태료", "위탁콜_과태료"),
    "special": ("대리_고객", "과태료", "특이이슈_과태료"),
    "penalty": ("대리_고객", "과태료", "범칙금"),
}


def all_paths() -> list[tuple[str, ...]]:
    """Every leaf path, in a stable order (seeding, admin filters, tests)."""
    paths: list[tuple[str, ...]] = []
    for group in (
        PARKING_DOUBLE_PAYMENT,
        EV_NOT_CHARGED,
        EV_PAYMENT_FAILED,
        PARKING_OPERATIONS,
        TRAFFIC_FINE,
    ):
        paths.extend(group.values())
    paths.append(DRIVER_PAYMENT_CANCEL)
    paths.extend(DRIVER_PAYMENT_CANCEL_BY_SERVICE.values())
    return paths


def path_label(path: tuple[str, ...]) -> str:
    return SEPARATOR.join(path)
