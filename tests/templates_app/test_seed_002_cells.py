"""Seed 002's six SMS, character by character against the seed's own table cells (issue 15 B).

Each cell below is copied from seed 002 ([챗봇-게시판] 기사_미운행건 결제취소) as written there:
``**`` is the seed's bold, ``\\_`` its markdown escape of ``_``, and the double space is the only
line-break mark a cell has (read as a blank line, ``\\n\\n``). A single space in a cell is a
space in the SMS, never a line break: a break costs bytes in the LMS count and the seed put none
there (e.g. "■ 취소금액 : **0,000원** ※ 운행을 ..."). Two non-breaking spaces of the customer
cell ("**0000년 00월 00일**\\xa0출발지\\xa0**OO**") are the wiki editor's, not text: a
non-breaking space is not in CP949, so a phone would show '?'; the SMS has plain spaces.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from templates_app.catalogue import CATALOGUE_BY_NAME
from templates_app.render import render_sms, sms_byte_length

#: CEMS name -> the seed's cell (the SMS / 답변내용 row under its title row).
SEED_002_CELLS = {
    "대리기사_챗봇게시판_기사미운행건결제취소(승인)": (
        "안녕하세요.  **0월 0일** 접수해 주신 미운행건 결제취소 문의에 대한 처리가 완료되어 "
        "안내해 드려요.  ■ 취소금액 : **0,000원** ※ 운행을 하지 않았음에도 운행 완료 처리 시, "
        "기사 활동에 불이익을 받으실 수 있는 점 참고 부탁드립니다.  언제나 기사님의 편리한 운행을 "
        "위해 노력할게요! 감사합니다.  카카오 T 파트너 운영센터 드림"
    ),
    "대리_챗봇게시판_기사미운행건결제취소(승인)": (
        "안녕하세요.  **0000년 00월 00일**\xa0출발지\xa0**OO**에서 대리를 호출하신 건에 대해 "
        "이용하지 않은 것으로 확인되어 결제가 취소되었어요. 요금 결제로 인해 불편을 드려 "
        "죄송합니다.  ■ 취소금액 : **0,000원** ※ 카드사에 따라 취소 이후 실제 환불까지 영업일 "
        "기준 3~5일의 시간이 소요될 수 있으니 양해 부탁드려요.  궁금하신 내용이 있다면 아래 "
        "상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!  [채팅상담] ① 카카오 T 고객센터 : "
        "https://pf.kakao.com/\\_VGxikj ② 카카오 T 대리 단독 앱 고객센터 : "
        "http://pf.kakao.com/\\_QNMsM  고객님께서 마음 편히 이용하실 수 있도록 더 "
        "노력하겠습니다. 감사합니다.  카카오 T 고객센터 드림"
    ),
    "대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O": (
        "안녕하세요.  **0월 0일** 접수하신 미운행건 결제취소 문의에 대해 안내드려요.  문의하신 "
        "**0000(콜 ID 기재)** 건은 운행거리와 운행시간이 확인되어 요금을 취소할 수 없어요.  "
        "운행기록을 잘못 선택하신 경우라면 번거로우시겠지만, 다시 한번 운행기록 확인하셔서 "
        "재접수를 부탁드려요.  다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의해 주세요. "
        "친절하고 자세하게 안내해 드릴게요!  [채팅상담] ① 카카오 T 채널(대리 기사용) : "
        "https://pf.kakao.com/\\_iILUxd ② 카카오 T 대리 기사용 앱 - 오른쪽 위 [메뉴] - 서비스 "
        "문의 - 대화창에 '상담' 입력 후 [상담사 연결하기]  언제나 기사님의 편리한 운행을 위해 "
        "노력할게요! 감사합니다.  카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리": (
        "안녕하세요.  **0월 0일** 접수하신 건은 이미 결제가 취소되었어요.  ■ 취소금액 : "
        "**0,000원** ■ 취소일자 : **0000년 00월 00일**  ※ 운행을 하지 않았음에도 운행 완료 "
        "처리 시, 기사 활동에 불이익을 받으실 수 있는 점 참고 부탁드립니다.  언제나 기사님의 "
        "편리한 운행을 위해 노력할게요! 감사합니다.  카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_공용(반려)_접수유형외다른문의": (
        "안녕하세요.  **0월 0일** 남겨주신 내용만으로는 어떤 어려움을 겪고 계시는지 정확한 파악이 "
        "어려워요.  다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의를 부탁드려요. "
        "친절하고 자세히 안내해 드릴게요!  [채팅상담] ① 카카오 T 채널(대리 기사용) : "
        "https://pf.kakao.com/\\_iILUxd ② 카카오 T 대리 기사용 앱 - 오른쪽 위 [메뉴] - 서비스 "
        "문의 - 대화창에 '상담' 입력 후 [상담사 연결하기]  언제나 기사님의 편리한 운행을 위해 "
        "노력할게요! 감사합니다.  카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_공용(반려)_중복접수": (
        "안녕하세요.  **0월 0일** 접수하신 미운행건 결제취소 문의에 대해 안내드려요.  현재 "
        "**0월 0일** 동일한 내용으로 접수된 건이 있어 처리 중이니 조금만 더 기다려주시면 "
        "감사하겠습니다.  양해해 주시는 만큼, 최대한 신속히 도움드릴 수 있도록 노력할게요.  "
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.  카카오 T 파트너 운영센터 드림"
    ),
}

#: The seed's blank for each catalogue variable of these templates.
SEED_BLANKS = {
    "received_on": "0월 0일",
    "earlier_received_on": "0월 0일",
    "amount": "0,000원",
    "called_on": "0000년 00월 00일",
    "cancelled_on": "0000년 00월 00일",
    "origin": "OO",
    "call_id": "0000(콜 ID 기재)",
}


def _seed_text(cell: str) -> str:
    """The cell as SMS text: bold and escapes dropped, the editor's NBSP a space, each double
    space a paragraph break (the cell's only break mark)."""
    text = cell.replace("**", "").replace("\\_", "_").replace("\xa0", " ")
    return text.replace("  ", "\n\n")


def _body_with_blanks(name: str) -> str:
    body = CATALOGUE_BY_NAME[name].body
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: SEED_BLANKS[m.group(1)], body)


def test_every_seed_002_template_is_covered():
    names = {
        t for t in CATALOGUE_BY_NAME if "챗봇게시판_기사미운행건" in t or "챗봇게시판_공용" in t
    }
    # Seed 002 1. names the 처리예정 SMS ("ㄴ처리예정 SMS 발송: ▶ 처리중 (사유: 취소예정)") as a
    # link only: there is no cell to compare it with.
    assert names - {"대리기사_챗봇게시판_기사미운행건결제취소(처리중)_취소예정"} == set(
        SEED_002_CELLS
    )


@pytest.mark.parametrize("name", sorted(SEED_002_CELLS))
def test_template_is_the_seed_cell_character_by_character(name):
    """Seed 002: "기사 SMS / 답변내용 - <name>" and the cell under it, line breaks included."""
    assert _body_with_blanks(name) == _seed_text(SEED_002_CELLS[name])


VALUES = {
    "received_on": date(2024, 11, 20),
    "earlier_received_on": date(2024, 11, 15),
    "amount": 23000,
    "called_on": date(2024, 11, 19),
    "cancelled_on": date(2024, 11, 18),
    "origin": "강남역",
    "call_id": "7001234567",
}


def _shown(kind: str, value) -> str:
    return render_sms(body="{{ x }}", variables={"x": kind}, context={"x": value}).text


@pytest.mark.parametrize("name", sorted(SEED_002_CELLS))
def test_lms_byte_count_is_the_seed_cells(name):
    """The bytes carriers count (CP949) are the seed text's with the values filled in: no
    added line break, no character a phone cannot show."""
    template = CATALOGUE_BY_NAME[name]
    context = {k: v for k, v in VALUES.items() if k in template.variables}
    rendered = render_sms(body=template.body, variables=template.variables, context=context)
    expected = _seed_text(SEED_002_CELLS[name])
    # The blanks in the order the seed writes them ("현재 0월 0일": the earlier post's date).
    for var in re.findall(r"\{\{\s*(\w+)\s*\}\}", template.body):
        expected = expected.replace(
            SEED_BLANKS[var], _shown(template.variables[var], VALUES[var]), 1
        )
    assert rendered.text == expected
    assert rendered.byte_length == sms_byte_length(expected)[0]
    assert rendered.unsupported_chars == ()


def test_the_seed_spells_one_cems_name_two_ways_and_the_template_says_both():
    """Seed 002 2.: 'CEMS 문자 템플릿 명 | 대리\\_챗봇게시판_..._운행거리&시간O' and
    '기사 SMS / 답변내용 - 대리기사\\_챗봇게시판_..._운행거리&시간O'."""
    template = CATALOGUE_BY_NAME["대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O"]
    assert "'대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O'" in template.description
    assert "'대리기사_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O'" in template.description
