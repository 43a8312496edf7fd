"""`newsqa eval`: hit and first-claim rules, metrics, reliability buckets, the tempting questions,
the XQuAD loader, and `eval --compare` on the seed set through the CLI."""

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from conftest import MODELS_DIR, ROOT, SEED_QUESTIONS, SEEDS, SHARED, shared_file

from qa.cli import cli
from qa.evaluation import datasets as ds
from qa.evaluation import eval as ev
from qa.evaluation import systems as sy


def question(evidence, need_all=True, **kw):
    from ingest.normalize import match_key

    return ds.Question("q", "?", "vi", "factoid", [match_key(e) for e in evidence], need_all, **kw)


def test_hit_rules():
    q = question(["đảm bảo hoà bình", "an ninh  quốc gia"])
    assert q.hit("Nhằm đảm bảo hòa bình, an ninh quốc gia và phát triển")  # tone marks, spaces, case
    assert not q.hit("Nhằm đảm bảo hòa bình và phát triển")  # seed format: every evidence string
    assert question(["308", "ba trăm lẻ tám"], need_all=False).hit("chỉ thua 308 điểm")  # XQuAD: any answer
    assert not question([]).hit("anything")
    assert not question([]).answerable and not question(["x"], probe=True).answerable


def test_first_claim():
    assert ds.first_claim("Câu một, năm 2022. [1] Câu hai. [2]") == "Câu một, năm 2022."
    assert ds.first_claim("Sentence one [12] two [3]") == "Sentence one"
    assert ds.first_claim("8,7% [1]") == "8,7%"
    assert ds.first_claim("No marker at all.") == "No marker at all."
    assert ds.first_claim("") == ""


def test_first_rule():
    seed = question(["tăng 8,7% so với cùng kỳ năm 2022"])
    assert seed.first("Kim ngạch xuất khẩu ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ năm 2022.")
    assert seed.first("tăng 8,7% so với cùng kỳ")  # a span that is most of the quote
    assert not seed.first("8,7%")  # a fragment of it is not
    assert not seed.first("GRDP ước tăng 2,65% so với cùng kỳ năm 2022.")
    assert not seed.first(None) and not seed.first("")  # refused
    # A quote longer than one sentence: one of its sentences is enough.
    long = question(["Thứ hai là tăng cường nghiên cứu. Thứ ba là thu hút nguồn lực."])
    assert long.first("Thứ ba là thu hút nguồn lực.")
    # Several evidence strings (a list): the first claim needs one of them, not all.
    parts = question(["châu Âu", "Hoa Kỳ", "Trung Đông"])
    assert parts.first("Mở rộng sang các đối tác ở châu Âu.") and not parts.hit("Mở rộng sang châu Âu.")
    xquad = question(["308", "ba trăm lẻ tám"], need_all=False)
    assert xquad.first("Đội thủ của Panthers chỉ thua 308 điểm, đứng thứ sáu.")  # any gold answer inside
    assert not question(["308 điểm"], need_all=False).first("308")  # XQuAD: the gold must be inside the claim
    assert not question([]).first("anything")


def test_summarize():
    qs = [question(["a"]), question(["a"]), question(["a"]), question([])]
    outcomes = [
        sy.Outcome([True, False], 0.010, found=True, cited=True, claim="a", first=True),
        sy.Outcome([False, False, True], 0.020, found=True, cited=False, claim="b", first=False),
        sy.Outcome([False] * 10, 0.030, found=False, cited=False, first=False),
        sy.Outcome([False] * 10, 0.040, found=False),
    ]
    s = ev.summarize(sy.OURS, qs, outcomes, depth=10)
    assert s["recall@1"] == pytest.approx(1 / 3) and s["recall@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert s["cited"] == pytest.approx(1 / 3) and s["first"] == pytest.approx(1 / 3)
    assert s["refused_unanswerable"] == 1.0 and s["refused_answerable"] == pytest.approx(1 / 3)
    assert s["refused_probes"] is None and s["refused_tempting"] is None
    assert s["latency_p50_ms"] == pytest.approx(25.0)
    assert ev.summarize(sy.NAIVE, qs, outcomes, depth=5)["recall@10"] is None


def test_refusals_split_probes_and_tempting():
    qs = [
        question(["a"]),
        question(["a"], probe=True),
        question(["a"], probe=True),
        ds.Question("t", "?", "en", "tempting", [], True, "x"),
        ds.Question("t2", "?", "vi", "tempting", [], True, "x"),
        question([]),
    ]
    found = [True, False, True, False, True, True]
    outcomes = [sy.Outcome([], 0.01, found=f) for f in found]
    s = ev.summarize(sy.OURS, qs, outcomes, depth=10)
    assert (s["probes"], s["tempting"], s["unanswerable"]) == (2, 2, 5)
    assert s["refused_probes"] == 0.5 and s["refused_tempting"] == 0.5
    assert s["refused_unanswerable"] == pytest.approx(2 / 5) and s["refused_answerable"] == 0.0


def test_reliability_buckets():
    qs = [question(["a"]), question(["a"]), question([]), question(["a"]), question(["a"], probe=True)]
    conf = [0.05, 0.2, 0.19, 0.95, 1.0]
    first = [False, True, None, True, None]
    outcomes = [sy.Outcome([], 0.0, found=c >= 0.5, first=f, signals={"confidence": c}) for c, f in zip(conf, first)]
    buckets = ev.reliability(qs, outcomes)
    assert [b["range"] for b in buckets] == ["0.0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1.0"]
    assert [b["count"] for b in buckets] == [2, 1, 0, 0, 2]  # 0.2 goes up, 1.0 into the last range
    assert buckets[0]["unanswerable"] == 0.5 and buckets[0]["first"] == 0.0 and buckets[0]["answered"] == 0.0
    assert buckets[1]["first"] == 1.0 and buckets[2]["mean_confidence"] is None
    assert buckets[4]["mean_confidence"] == pytest.approx(0.975) and buckets[4]["unanswerable"] == 0.5
    assert ev.reliability(qs, [sy.Outcome([], 0.0, signals={"best_sentence": 0.8}) for _ in qs]) is None
    table = ev.reliability_markdown("seed", buckets)
    assert "| 0.8–1.0 | 2 | 0.975 | 1.000 | 0.500 | 0.500 |" in table


def tempting_rows() -> list[dict]:
    return [json.loads(line) for line in ds.TEMPTING.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_tempting_questions_file():
    rows = tempting_rows()
    assert len(rows) >= 50 and len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["kind"] == "tempting" and r["evidence"] == [] and r["question"].strip(), r
        assert r["lang"] in ("vi", "en") and r["corpus"] in ("seed", "xquad"), r
    pairs = Counter((r["corpus"], r["article"], r["id"].rsplit("-", 1)[0]) for r in rows)
    assert set(pairs.values()) == {2}, "every question is asked in Vietnamese and in English"
    assert Counter(r["lang"] for r in rows)["vi"] == len(rows) / 2
    assert {r["corpus"] for r in rows} == {"seed", "xquad"}
    from ingest.readers import read_file

    seeds = {read_file(f).id for f in SEEDS.glob("*.txt")}
    assert {r["article"] for r in rows if r["corpus"] == "seed"} <= seeds
    shared_file(SHARED / "eval" / "xquad" / "xquad.vi.json")
    xquad = {a.id for a in ds.xquad_articles(SHARED / "eval" / "xquad" / "xquad.vi.json")}
    assert {r["article"] for r in rows if r["corpus"] == "xquad"} <= xquad


def test_seed_dataset_has_the_tempting_questions():
    seed = ds.file_dataset("seed", shared_file(SEED_QUESTIONS), ROOT / "seeds")
    tempting = [q for q in seed.questions if q.kind == "tempting"]
    expected = [r for r in tempting_rows() if r["corpus"] == "seed"]
    assert [q.id for q in tempting] == [r["id"] for r in expected] and {q.lang for q in tempting} == {"vi", "en"}
    assert all(not q.answerable and not q.probe and q.article for q in tempting)
    plain = ds.file_dataset("mine", SEED_QUESTIONS, ROOT / "seeds")
    assert not any(q.kind == "tempting" for q in plain.questions)


def test_xquad_loader():
    shared_file(SHARED / "eval" / "xquad" / "xquad.vi.json")
    vi = ds.xquad_dataset(SHARED, "vi", probes=True)
    en = ds.xquad_dataset(SHARED, "en", probes=False)
    tempting = {
        lang: [r["id"] for r in tempting_rows() if r["corpus"] == "xquad" and r["lang"] == lang]
        for lang in ("vi", "en")
    }
    assert len(vi.articles) == 48 and vi.corpus == en.corpus
    assert [q.id for q in en.questions if q.kind == "tempting"] == tempting["en"]
    assert [q.id for q in vi.questions if q.kind == "tempting"] == tempting["vi"]
    en_xquad = [q for q in en.questions if q.kind == "xquad"]
    vi_xquad = [q for q in vi.questions if q.kind == "xquad"]
    assert (
        len(en_xquad) == 578 and len(vi_xquad) == 578 and sum(q.probe for q in vi.questions) == 578
    )  # the validation fold
    assert len(ds.xquad_dataset(SHARED, "en", probes=False, tempting=False, fold=None).questions) == 1190
    assert [q.id for q in en_xquad] == [q.id for q in vi_xquad]
    assert [q.evidence for q in en_xquad] == [q.evidence for q in vi_xquad]  # gold = vi spans
    text = {a.id: ds.match_key(a.text) for a in vi.articles}
    assert all(any(e in text[q.article] for e in q.evidence) for q in en_xquad)
    assert sum(a.text.count("\n\n") + 1 for a in vi.articles) == 240
    small = ds.limit(vi, 3)
    kinds = [q.kind for q in small.questions]
    assert kinds == ["xquad"] * 3 + ["tempting"] * len(tempting["vi"]) + ["probe"] * 3
    assert not ds.xquad_dataset(SHARED, "en", probes=False, tempting=False).questions[-1].kind == "tempting"


def test_followups_loader():
    """At least 20 follow-up pairs, in Vietnamese and English, about articles of the validation
    fold only; each follow-up reads as one and its evidence is in its article, once."""
    from qa.question.conversation import is_follow_up

    shared_file(SHARED / "eval" / "xquad" / "xquad.vi.json")
    fu = ds.followups_dataset(SHARED)
    xquad = ds.xquad_dataset(SHARED, "vi", probes=False, tempting=False)
    assert fu.name == "followups" and fu.corpus == xquad.corpus  # one index for both
    assert len(fu.questions) >= 20 and Counter(q.lang for q in fu.questions).keys() == {"vi", "en"}
    assert min(Counter(q.lang for q in fu.questions).values()) >= 10
    validation = set(json.loads((SHARED / "train" / "xquad-folds" / "folds.json").read_text())["validation"])
    titles = {a.id: a.title.replace(" ", "_") for a in fu.articles}
    text = {a.id: ds.match_key(a.text) for a in fu.articles}
    for q in fu.questions:
        assert titles[q.article] in validation and q.kind == "followup" and q.answerable
        assert len(q.previous) == 1 and is_follow_up(q.text)
        assert all(text[q.article].count(e) == 1 for e in q.evidence)
    # asked as the chat asks it: joined with the question before it
    q = fu.questions[0]
    assert sy.searched_as_in_chat(q) == f"{q.previous[0]} {q.text}"
    assert sy.searched_as_in_chat(xquad.questions[0]) == xquad.questions[0].text


@pytest.mark.slow
def test_eval_compare_on_seed(tmp_path):
    shared_file(SEED_QUESTIONS)
    out = tmp_path / "eval.json"
    env = {"NEWSQA_MODELS_DIR": str(MODELS_DIR), "NEWSQA_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["eval", "seed", "--compare", "--json", str(out)], env=env)
    assert result.exit_code == 0, result.output
    table = [line for line in result.output.splitlines() if line.startswith("| seed |")]
    systems = list(sy.SYSTEMS)  # the other answerer is measured beside newsqa
    assert [line.split("|")[2].strip() for line in table] == [systems[0], "newsqa-rules", *systems[1:]]
    assert "answer p95 / naive similarity_search p95" in result.output
    assert not (tmp_path / "data").exists(), "eval must not touch the data folder"

    (report,) = json.loads(out.read_text())
    tempting = [r["id"] for r in tempting_rows() if r["corpus"] == "seed"]
    assert report["dataset"] == "seed" and report["questions"] == 15 + len(tempting) and report["articles"] == 2
    ours = report["systems"][sy.OURS]
    assert ours["answerable"] == 12 and ours["unanswerable"] == 3 + len(tempting)
    assert ours["tempting"] == len(tempting) and ours["probes"] == 0 and ours["refused_probes"] is None
    assert ours["recall@5"] == 1.0 and ours["recall@10"] == 1.0
    assert ours["refused_answerable"] <= 0.25 and ours["cited"] >= 0.5
    for name, s in report["systems"].items():
        assert 0 <= s["recall@1"] <= s["recall@5"] <= 1 and 0 <= s["mrr@10"] <= 1
        assert 0 <= s["first"] <= 1 and s["first"] > 0, name  # every system gets some first claims right
        assert 0 < s["latency_p50_ms"] <= s["latency_p95_ms"]
        assert ours["mrr@10"] >= s["mrr@10"], name
    assert report["systems"][sy.NAIVE]["recall@10"] is None
    assert {d["id"] for d in report["details"]} == {f"d{i:02d}" for i in range(1, 16)} | set(tempting)
    assert all("best_sentence" in d["signals"] for d in report["details"])
    for d in report["details"]:
        assert set(d["first"]) == set(d["claim"]) == {*sy.SYSTEMS, "newsqa-rules"}
        if d["answerable"]:
            assert all(isinstance(v, bool) for v in d["first"].values())
            assert d["claim"][sy.DENSE] and d["claim"][sy.NAIVE]  # BM25 finds nothing for some English ones
            assert "[" not in (d["claim"][sy.OURS] or "")
        else:
            assert set(d["first"].values()) == {None}


def test_phrase_rule():
    q = question(["Ông Hà Thanh Quốc, Giám đốc Sở GD&ĐT Quảng Nam"], answers=["hà thanh quốc"])
    assert q.phrase("Hà Thanh Quốc")  # the gold answer
    assert q.phrase("ông Hà Thanh Quốc, Giám đốc")  # the gold answer inside the marked phrase
    assert q.phrase("Thanh Quốc")  # most of the gold answer
    assert not q.phrase("Quốc")  # a fragment is not
    assert not q.phrase(None) and not q.phrase("")
    assert not question(["x"]).phrase("x")  # no gold phrase: nothing to score
    # a list's gold answer gives its items apart: a phrase holding every item holds it
    listed = question(["x"], answers=["mỹ; ấn độ; brazil"])
    assert listed.phrase("Mỹ, Ấn Độ và Brazil")
    assert not listed.phrase("Mỹ và Ấn Độ")  # an item missing


def test_news_dataset_reads_the_validation_articles():
    shared_file(SHARED / "eval" / "news_questions.jsonl")
    news = ds.news_dataset(SHARED)
    splits = json.loads((SHARED / ds.NEWS_CORPUS / "splits.json").read_text())
    assert len(news.articles) == len(splits["validation"])
    assert len(news.questions) == 140
    answerable = [q for q in news.questions if q.answerable]
    assert answerable and all(q.article and q.answers for q in answerable)
    assert all(not q.answers for q in news.questions if not q.answerable)


def test_xquad_reports_the_validation_fold():
    shared_file(SHARED / "train" / "xquad-folds" / "folds.json")
    folds = json.loads((SHARED / "train" / "xquad-folds" / "folds.json").read_text())
    titles = [a["title"] for a in json.loads((SHARED / "eval" / "xquad" / "xquad.en.json").read_text())["data"]]
    dataset = ds.xquad_dataset(SHARED, "en", probes=False, tempting=False)
    assert len(dataset.articles) == 48  # every article is indexed
    asked = {q.article for q in dataset.questions}
    validation = {a.id for a, t in zip(dataset.articles, titles) if t in folds["validation"]}
    assert asked == validation


def test_threshold_pick():
    from qa.training.threshold import pick

    chosen = pick([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.95, 0.85, 0.75] * 2, [0.1, 0.2, 0.3, 0.45, 0.6], 0.10)
    assert chosen["refused_answerable"] <= 0.10
    assert chosen["threshold"] == 0.35  # the lowest that refuses 3 of 5 unanswerable; 0.45 refuses 4 answerable
    assert chosen["refused_unanswerable"] == 0.6
    assert pick([0.5], [], 0.05)["threshold"] <= 0.5
