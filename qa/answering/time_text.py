"""What the time-aware answers (`qa.answering.temporal`) say, in Vietnamese and English, and the question
words they work with: the names a question asks about, a question without its time words."""

import re

from ingest.normalize import normalize
from qa.question.language import has_words

TEXT = {
    "vi": {
        "year": " (năm lấy theo bài mới nhất đã lập chỉ mục: {year})",
        "relative": "“{phrase}” được hiểu so với bài mới nhất đã lập chỉ mục ({newest}): {window}.",
        "window": "Câu hỏi nói về {window}{year}: các bài đề ngày đó và các bài nhắc tới ngày đó.",
        "uncovered": "Không có bài báo nào đề ngày {window} hay nhắc tới ngày đó.",
        "nearby": " Các ngày gần nhất có bài: {dates}.",
        "as_of": "Tính đến ngày {date}",
        "as_of_note": "Tính đến ngày {date} (bài mới nhất trả lời câu hỏi).",
        "timeline": "Diễn biến theo ngày đăng của {n} bài, từ {first} đến {last}.",
        "after": "“{anchor}”: ngày {date} (bài “{title}”); câu trả lời lấy từ bài đầu tiên sau ngày đó.",
        "before": "“{anchor}”: ngày {date} (bài “{title}”); câu trả lời lấy từ bài gần nhất trước ngày đó.",
        "undated_event": "Không xác định được ngày của “{anchor}”; câu trả lời không xét ngày.",
    },
    "en": {
        "year": " (year taken from the newest indexed article: {year})",
        "relative": "“{phrase}” taken relative to the newest indexed article ({newest}): {window}.",
        "window": "The question is about {window}{year}: articles dated then, and articles that mention it.",
        "uncovered": "No indexed article is dated {window} or mentions it.",
        "nearby": " The nearest dates the articles cover: {dates}.",
        "as_of": "As of {date}",
        "as_of_note": "As of {date} (the newest article that answers).",
        "timeline": "Timeline from {n} articles, by publication date, {first} to {last}.",
        "after": "“{anchor}”: {date} (article “{title}”); the answer is from the first article after it.",
        "before": "“{anchor}”: {date} (article “{title}”); the answer is from the last article before it.",
        "undated_event": "The date of “{anchor}” could not be found; the answer ignores dates.",
    },
}


NOT_NAMES = {"covid-19", "covid", "sars-cov-2"}  # capitalised words every article of a topic shares in its own way


def names(question: str) -> list[str]:
    """Runs of capitalised words of the question after its first word ("Huawei", "Jose Mourinho", "Ấn Độ")."""
    names, run = [], []
    for i, token in enumerate(re.findall(r"[\w-]+|[^\w\s]", question)):
        if i > 0 and token[0].isalpha() and token[0].isupper():
            run.append(token)
            continue
        if run:
            names.append(" ".join(run))
        run = []
    if run:
        names.append(" ".join(run))
    return [n for n in names if n.lower() not in NOT_NAMES]


def has_name(folded_text: str, folded_name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(folded_name)}(?!\w)", folded_text) is not None


def without(text: str, phrases: tuple[str, ...]) -> str:
    """`text` without the time phrases (whitespace tidied); `text` itself when nothing would remain."""
    out = normalize(text)
    for phrase in phrases:
        out = out.replace(phrase, " ")
    out = " ".join(out.split()).strip(" ,")
    return out if has_words(out) else text
