"""The verifier's fact checks (qa/generation/verify.py) and the reply splitter (qa/generation/llm.py): pure text, no model."""

import pytest

from qa.generation.llm import problem_message, split_claims
from qa.generation.verify import dates, fact_problem, figures, number_values
from qa.settings import Settings

PASSAGE = (
    "Ngày 24/10, Bộ trưởng Ngoại giao Bùi Thanh Sơn đã tiếp đoàn công tác tỉnh Quảng Ngãi. "
    "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ năm 2022. "
    "Tỉnh xác định hai trọng tâm phát triển. Hội nghị khai mạc ngày 15/11/2025 với 1.200 đại biểu."
)


def test_number_notations():
    assert number_values("1,9") == {1.9}
    assert number_values("1.900") == {1.9, 1900.0}  # either a decimal mark or a thousands separator
    assert number_values("1,234,567") == {1234567.0}
    assert number_values("1.234,5") == {1234.5}
    assert [(f.text, f.scale) for f in figures("đạt 1,9 tỷ USD, tăng 8,7%")] == [("1,9 tỷ", 1e9), ("8,7", 1.0)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Kim ngạch xuất khẩu ước đạt 1,9 tỷ USD, tăng 8,7%.",
        "Exports reached an estimated 1.9 billion USD, up 8.7 percent.",
        "Exports reached 1,900 million USD.",
        "On October 24, Foreign Minister Bui Thanh Son received the Quang Ngai delegation.",
        "The conference opened on November 15, 2025 with 1,200 delegates.",
        "Hội nghị khai mạc ngày 15 tháng 11 năm 2025.",
        "The province set two development priorities in the first nine months of 2023.",
        "The Ministry of Foreign Affairs received the province's delegation.",  # a translated name: left to the reader
        "Bộ trưởng Bùi Thanh Sơn đã tiếp đoàn.",
        "Ông Bùi Thanh Sơn đã tiếp đoàn.",  # a capitalised first word that is no name
    ],
)
def test_facts_found_in_either_notation(sentence):
    assert fact_problem(sentence, [PASSAGE]) is None


@pytest.mark.parametrize(
    "sentence, problem",
    [
        ("Kim ngạch xuất khẩu ước đạt 2,5 tỷ USD.", "the figure “2,5 tỷ” is not in"),
        ("Exports reached 1.9 million USD.", "the figure “1.9 million” is not in"),
        ("The province set three priorities.", "the figure “three” is not in"),
        ("The minister received them on October 25.", "the date “October 25” is not in"),
        ("Hội nghị khai mạc ngày 15/11/2024.", "the date “15/11/2024” is not in"),
        ("Foreign Minister Nguyen Van An received them.", "the name “Nguyen Van An” is not in"),
        ("Bộ trưởng Phạm Minh Chính tiếp đoàn.", "the name “Phạm Minh Chính” is not in"),
        ("The agreement was signed with ASEAN.", "the name “ASEAN” is not in"),
    ],
)
def test_facts_missing_from_the_passage(sentence, problem):
    assert fact_problem(sentence, [PASSAGE]) == problem


def test_dates_in_both_languages():
    found, rest = dates("Ngày 24/10/2023 và November 15, 2025, rồi tháng 3/2024.")
    assert [(d.day, d.month, d.year) for d in found] == [(24, 10, 2023), (0, 3, 2024), (15, 11, 2025)]
    assert "2023" not in rest and "2025" not in rest


def test_split_claims():
    assert split_claims("Xuất khẩu đạt 1,9 tỷ USD [1]. Tỉnh có hai trọng tâm [2][3].") == [
        ("Xuất khẩu đạt 1,9 tỷ USD.", [1]),
        ("Tỉnh có hai trọng tâm.", [2, 3]),
    ]
    # a marker after the full stop belongs to the sentence before it; lists and bold are plain text
    assert split_claims("Exports rose. [2] The province grew.[1, 3]\n- **Tourism** too [4]") == [
        ("Exports rose.", [2]),
        ("The province grew.", [1, 3]),
        ("Tourism too", [4]),
    ]
    assert split_claims("No citation here.") == [("No citation here.", [])]


def test_problem_messages():
    settings = Settings(llm="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout=5)

    class Status(Exception):
        def __init__(self, code):
            self.status_code = code

    class APIConnectionError(Exception):
        pass

    assert problem_message(Status(404), settings) == (
        "The language model server at http://127.0.0.1:9/v1 does not know the model in NEWSQA_LLM=openai:m (HTTP 404)."
    )
    assert problem_message(APIConnectionError("boom"), settings) == (
        "The language model server at http://127.0.0.1:9/v1 cannot be reached. Start it, or check NEWSQA_LLM_BASE_URL."
    )
    assert problem_message(TimeoutError(), settings).startswith(
        "The language model (openai:m) did not answer within 5 s"
    )
