"""The `dated` question set (tests/data/dated_questions.jsonl) and how `newsqa eval dated` scores an answer."""

import json

from qa.evaluation import eval_dated as ed
from tests.conftest import SHARED


def test_the_set_is_over_validation_articles_and_holds_no_article_text():
    questions = ed.read_questions()
    assert len(questions) >= 40
    kinds = {q.kind for q in questions}
    assert {"dated", "latest", "timeline", "uncovered", "after", "before"} <= kinds
    splits = SHARED / "corpora" / "dantri-unc" / "splits.json"
    if splits.exists():
        split = json.loads(splits.read_text())
        named = {q.file for q in questions if q.file} | {f for q in questions for f in q.files}
        named |= {a["file"] for q in questions for a in q.also}
        assert named <= set(split["validation"])
    rows = [json.loads(line) for line in ed.QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    allowed = {"id", "lang", "kind", "question", "file", "date", "evidence_sha", "files", "also"}
    assert all(set(r) <= allowed for r in rows)
    assert all(q.evidence_sha and q.date for q in questions if q.kind in ed.POINTED)


def answer(claims: list[tuple[str, str, int]], found: bool = True) -> dict:
    return {
        "found": found,
        "claims": [{"text": t, "date": d, "source": n} for t, d, n in claims],
        "sources": [{"number": n, "article_id": f"a{n}"} for _, _, n in claims],
    }


def test_scores_first_claim_date_order_and_refusals():
    sentence = "Ấn Độ ghi nhận thêm 346.786 ca mắc Covid-19."
    q = ed.DatedQuestion("x", "vi", "dated", "?", "f1.txt", "2021-04-24", [ed.sentence_sha(sentence)])
    right = ed.score(q, answer([(sentence + " Một câu khác.", "2021-04-24", 1)]), {})
    assert right["first"] and right["right_date"]
    wrong = ed.score(q, answer([("Một câu khác.", "2021-04-25", 1)]), {})
    assert not wrong["first"] and not wrong["right_date"]
    t = ed.DatedQuestion("t", "vi", "timeline", "?", files=["f1.txt", "f2.txt"])
    files = {"a1": "f1.txt", "a2": "f2.txt"}
    assert ed.score(t, answer([("a", "2021-04-20", 1), ("b", "2021-04-24", 2)]), files)["ordered"]
    assert not ed.score(t, answer([("a", "2021-04-24", 1), ("b", "2021-04-20", 2)]), files)["ordered"]
    u = ed.DatedQuestion("u", "vi", "uncovered", "?")
    summary = ed.summarize([ed.score(u, answer([], found=False), {}), right, wrong])
    assert summary["uncovered_refused"] == {"share": 1.0, "n": 1, "right": 1}
    assert summary["first_claim_right"]["share"] == 0.5
