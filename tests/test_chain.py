"""The LangChain surface: the README's example runs as written; retriever and chain compose in LCEL."""

import re

from langchain_core.runnables import RunnableLambda

from tests.conftest import MODELS_DIR, ROOT


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- example: langchain[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert m, "the README's LangChain example is missing"
    return m.group(1)


def test_readme_example_runs(seeded, embedder, monkeypatch, capsys):
    monkeypatch.setenv("NEWSQA_DATA_DIR", str(seeded.settings.data_dir))
    monkeypatch.setenv("NEWSQA_MODELS_DIR", str(MODELS_DIR))
    monkeypatch.setattr("qa.pipeline.open_embedder", lambda settings: embedder)  # the model already loaded
    exec(compile(readme_example(), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "[1]" in printed and "Quảng Ngãi" in printed


def test_retriever_and_chain_in_lcel(seeded):
    from qa.chain import answer_chain, news_retriever

    retriever = news_retriever(seeded, k=2)
    docs = (RunnableLambda(lambda q: q.lower()) | retriever).invoke("HAI TRỌNG TÂM PHÁT TRIỂN CỦA QUẢNG NGÃI LÀ GÌ?")
    assert len(docs) == 2 and any("Lý Sơn" in d.page_content for d in docs)
    assert docs[0].metadata["score"] >= docs[1].metadata["score"]
    chain = answer_chain(seeded)
    answers = chain.batch(["Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", {"question": "?!", "k": 3}])
    assert answers[0]["found"] and "Bùi Thị Quỳnh Vân" in " ".join(s["text"] for s in answers[0]["sources"])
    assert answers[1]["found"] is False
    follow = chain.invoke({"question": "còn Bộ trưởng thì sao?", "history": ["Quảng Ngãi đề nghị gì?"]})
    assert follow["searched"].startswith("Quảng Ngãi đề nghị gì?")
