"""`newsqa eval`: hit rules, metrics, the XQuAD loader, and `eval --compare` on the seed set through the CLI."""

import json

import pytest
from click.testing import CliRunner
from conftest import MODELS_DIR, SEED_QUESTIONS, SHARED, shared_file

from qa import eval as ev
from qa.cli import cli


def question(evidence, need_all=True, **kw):
    from ingest.normalize import match_key

    return ev.Question("q", "?", "vi", "factoid", [match_key(e) for e in evidence], need_all, **kw)


def test_hit_rules():
    q = question(["đảm bảo hoà bình", "an ninh  quốc gia"])
    assert q.hit("Nhằm đảm bảo hòa bình, an ninh quốc gia và phát triển")  # tone marks, spaces, case
    assert not q.hit("Nhằm đảm bảo hòa bình và phát triển")  # seed format: every evidence string
    assert question(["308", "ba trăm lẻ tám"], need_all=False).hit("chỉ thua 308 điểm")  # XQuAD: any answer
    assert not question([]).hit("anything")
    assert not question([]).answerable and not question(["x"], probe=True).answerable


def test_summarize():
    qs = [question(["a"]), question(["a"]), question(["a"]), question([])]
    outcomes = [
        ev.Outcome([True, False], 0.010, found=True, cited=True),
        ev.Outcome([False, False, True], 0.020, found=True, cited=False),
        ev.Outcome([False] * 10, 0.030, found=False, cited=False),
        ev.Outcome([False] * 10, 0.040, found=False),
    ]
    s = ev.summarize(ev.OURS, qs, outcomes, depth=10)
    assert s["recall@1"] == pytest.approx(1 / 3) and s["recall@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert s["cited"] == pytest.approx(1 / 3)
    assert s["refused_unanswerable"] == 1.0 and s["refused_answerable"] == pytest.approx(1 / 3)
    assert s["latency_p50_ms"] == pytest.approx(25.0)
    assert ev.summarize(ev.NAIVE, qs, outcomes, depth=5)["recall@10"] is None


def test_xquad_loader():
    shared_file(SHARED / "eval" / "xquad" / "xquad.vi.json")
    vi = ev.xquad_dataset(SHARED, "vi", probes=True)
    en = ev.xquad_dataset(SHARED, "en", probes=False)
    assert len(vi.articles) == 48 and vi.corpus == en.corpus
    assert len(en.questions) == 1190 and len(vi.questions) == 2 * 1190
    assert [q.id for q in en.questions] == [q.id for q in vi.questions if not q.probe]
    assert [q.evidence for q in en.questions] == [q.evidence for q in vi.questions[:1190]]  # gold = vi spans
    text = {a.id: ev.match_key(a.text) for a in vi.articles}
    assert all(any(e in text[q.article] for e in q.evidence) for q in en.questions)
    assert sum(a.text.count("\n\n") + 1 for a in vi.articles) == 240
    small = ev.limit(vi, 3)
    assert [q.probe for q in small.questions] == [False] * 3 + [True] * 3


def test_eval_compare_on_seed(tmp_path):
    shared_file(SEED_QUESTIONS)
    out = tmp_path / "eval.json"
    env = {"NEWSQA_MODELS_DIR": str(MODELS_DIR), "NEWSQA_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["eval", "seed", "--compare", "--json", str(out)], env=env)
    assert result.exit_code == 0, result.output
    table = [line for line in result.output.splitlines() if line.startswith("| seed |")]
    assert [line.split("|")[2].strip() for line in table] == list(ev.SYSTEMS)
    assert "answer p95 / naive similarity_search p95" in result.output
    assert not (tmp_path / "data").exists(), "eval must not touch the data folder"

    (report,) = json.loads(out.read_text())
    assert report["dataset"] == "seed" and report["questions"] == 15 and report["articles"] == 2
    ours = report["systems"][ev.OURS]
    assert ours["answerable"] == 12 and ours["unanswerable"] == 3
    assert ours["recall@5"] == 1.0 and ours["recall@10"] == 1.0
    assert ours["refused_answerable"] <= 0.25 and ours["cited"] >= 0.5
    for name, s in report["systems"].items():
        assert 0 <= s["recall@1"] <= s["recall@5"] <= 1 and 0 <= s["mrr@10"] <= 1
        assert 0 < s["latency_p50_ms"] <= s["latency_p95_ms"]
        assert ours["mrr@10"] >= s["mrr@10"], name
    assert report["systems"][ev.NAIVE]["recall@10"] is None
    assert {d["id"] for d in report["details"]} == {f"d{i:02d}" for i in range(1, 16)}
    assert all("best_sentence" in d["signals"] for d in report["details"])
