"""The measure a number question asks for.

A question asking for a quantity of one measure ("bao nhiêu tuổi", "how many grams", "giá bao
nhiêu"; read with its diacritics when it has them, "bao nhiêu dòng" is no "bao nhiêu đồng"), and
how a passage writes a figure of it (on folded text: "27 tuổi", "ở tuổi 13", "1.200 m", "5,1 triệu
USD", "8,7%"). Only measures a figure is written with; counted nouns ("bao nhiêu người", "how many
cases") are not measures, a passage may give them in words; "how old" is not one either (a
fossil's age is given in years).

`asked_measure` reads the question, `measure_figures` the passage; the answerers refuse a
question whose first sentence's article writes no such figure (`qa.answering.reader_answerer`).
"""

from __future__ import annotations

import re

from ingest.normalize import fold, fold_aligned, has_diacritics, normalize

FIG = r"\d+(?:[.,]\d+)*"  # a figure: "25", "17,1", "1.200"
MULT = r"(?:\s*(?:nghin|ngan|trieu|ty|tram|k|m|bn|million|billion|thousand))?"  # its multiplier, folded: "1,2 trieu"
# thousands of people: "711.988", "1,2 triệu", "năm triệu"
_PEOPLE = (
    r"(?:\d{1,3}(?:[.,]\d{3})+|\d{4,}|\d+(?:[.,]\d+)?\s*(?:nghin|ngan|trieu|ty|million|billion|thousand)"
    r"|\b(?:mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi) (?:tram|nghin|ngan|trieu|ty)\b)"
)
_MEASURES = (
    ("age", r"\bbao nhiêu tuổi\b|\bmấy tuổi\b|\bwhat age\b",
     FIG + r"\s*tuoi\b|\btuoi\s+" + FIG + r"|\bu" + FIG + r"\b|" + FIG + r"\s*(?:years? old|age)\b"),
    ("length", r"\bbao nhiêu (?:mét|m|km|cm|mm|ki-lô-mét|kilômét|cây số)\b|\b(?:dài|cao|rộng|sâu) (?:là )?bao nhiêu\b"
     r"(?! (?:năm|tháng|ngày|tuần|giờ|phút|tầng|người|lần)\b)"
     r"|\bhow many (?:meters|metres|kilometers|kilometres|centimeters|feet|miles)\b|\bhow (?:tall|deep|wide)\b",
     FIG + r"\s*(?:m|met|km|cm|mm|kilomet|centimet|dam|feet|ft|mile|miles|cay so)\b|\b\d+m\d+\b"),
    ("weight", r"\bbao nhiêu (?:kg|gam|gram|g|tấn|ki-lô-gam|lạng|chỉ)\b|\bnặng (?:là )?bao nhiêu\b"
     r"|\bhow many (?:grams|kilograms|kilos|tons|tonnes|pounds)\b|\bhow heavy\b",
     FIG + MULT + r"\s*(?:kg|gam|gram|g|tan|kilogam|lang|chi|pound|pounds|lb)\b"),
    ("area", r"\bbao nhiêu (?:ha|héc-ta|hecta|m2|km2|mét vuông)\b|\bhow many (?:hectares|square)\b",
     FIG + MULT + r"\s*(?:ha|hecta|hec-ta|m2|km2|m²|km²|met vuong|square)\b"),
    ("money", r"\bbao nhiêu tiền\b|\bgiá (?:bán |niêm yết |mua )?(?:là )?bao nhiêu\b"
     r"|\bphạt bao nhiêu\b(?! (?:năm|tháng|ngày|người|lần|trường hợp)\b)"
     r"|\b(?:vốn|kinh phí|doanh thu|lợi nhuận|chi phí|ngân sách|thu nhập|mức lương|tiền lương|kim ngạch|tài sản)\b[^?]{0,60}?"
     r"\bbao nhiêu\b(?! (?:phần trăm|lần|người|năm|tháng|ngày)\b)(?! ?%)|\bbao nhiêu (?:vốn|kinh phí)\b"
     r"|\bhow much (?:[\w-]+ ){0,3}?(?:money|capital|revenue|profit|funding|budget|investment|income|salary|oda"
     r"|aid|cost|turnover)\b"
     r"|\bbao nhiêu (?:nghìn |ngàn |triệu |tỷ |tỉ )?(?:đồng|usd|đô la|euro|yên)\b"
     r"|\bhow many (?:dollars|euros|pounds sterling|yen)\b"
     r"|\bhow much (?:money|did .{1,40} cost|does .{1,40} cost|is .{1,40} worth)\b|\bwhat (?:is|was) the price\b",
     FIG + MULT + r"\s*(?:dong|d|vnd|usd|do la|euro|eur|yen|te|nhan dan te|bang|won|bath|baht)\b|[$€£¥]\s*" + FIG),
    ("percent", r"\bbao nhiêu phần trăm\b|\bwhat (?:percentage|percent)\b|\bhow many percent\b",
     FIG + r"\s*(?:%|phan tram|percent)"),
    ("population", r"\bdân số\b[^?]{0,60}?\bbao nhiêu\b|\bbao nhiêu (?:dân|người dân|cư dân)\b|\bpopulation of\b"
     r"|'s population\b|\bwhat (?:is|was) the population\b|\bhow many (?:people|inhabitants|residents) (?:live|lived)\b",
     _PEOPLE + r"\s*(?:nguoi|dan|cu dan|nhan khau|people|inhabitants|residents)\b"
     r"|\b(?:dan so|population)\b[^!?\d]{0,30}?" + _PEOPLE),
)  # fmt: skip
# (name, asks with diacritics, asks without, gives)
_MEASURES = tuple(
    (name, re.compile(asks), re.compile(fold(asks)), re.compile(gives)) for name, asks, gives in _MEASURES
)


def asked_measure(question: str) -> str | None:
    """The measure a question asks a quantity of ("age", "length", "weight", "area", "money",
    "percent", "population"), or None."""
    if not has_diacritics(question):  # "bao nhieu dong" may be dòng or đồng: taken as đồng
        text = fold(question)
        return next((name for name, _, asks, _ in _MEASURES if asks.search(text)), None)
    text = normalize(question).lower()
    return next((name for name, asks, _, _ in _MEASURES if asks.search(text)), None)


def gives_measure(text: str, measure: str) -> bool:
    """Whether `text` writes a figure of `measure` ("27 tuổi", "1.200 m", "5,1 triệu USD")."""
    return bool(measure_figures(text, measure))


def measure_figures(text: str, measure: str) -> list[tuple[int, int]]:
    """The figures of `measure` that `text` writes (offsets into it): "5,2km", "27 tuổi"."""
    folded = fold_aligned(text)
    found = [m.span() for name, _, _, gives in _MEASURES if name == measure for m in gives.finditer(folded)]
    figures = []
    for a, b in found:
        range_from = _RANGE_FROM.search(folded[:a])  # a range is one figure: "30 triệu đến 40 triệu đồng"
        figures.append((range_from.start() if range_from else a, b))
    return sorted(figures)


_RANGE_FROM = re.compile(FIG + MULT + r"\s*(?:den|toi|-|–)\s*$")
