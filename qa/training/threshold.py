"""The refusal threshold of the reader, chosen on the news validation set (`newsqa train-reader` runs
this last; `newsqa choose-threshold` runs it alone).

Every question of `eval/news_questions.jsonl` is asked of an index of the corpus's `validation`
articles, as the app asks it, with the trained reader answering everything (threshold 0); each
answer's answerability probability is kept. The threshold is the one that refuses the most
unanswerable questions while refusing at most `MAX_REFUSED` of the answerable ones (ties: the
lowest such threshold). One number for every language: the reader's probability already reads the
question's language (see `qa.answering.reader` `answerability`). Only this threshold is chosen on the
validation set; nothing is trained on it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MAX_REFUSED = 0.05  # answerable questions a threshold may refuse


def pick(answerable: list[float], unanswerable: list[float], max_refused: float = MAX_REFUSED) -> dict:
    """The threshold on probabilities that refuses the most of `unanswerable` while refusing at most
    `max_refused` of `answerable`, with what it refuses of each."""
    pos, neg = np.asarray(answerable, dtype=float), np.asarray(unanswerable, dtype=float)
    candidates = np.unique(np.concatenate([pos, neg, [0.0]]))
    best = (0.0, -1.0)
    for t in candidates:
        refused_pos = float((pos < t).mean()) if len(pos) else 0.0
        if refused_pos > max_refused:
            break  # candidates ascend: every higher threshold refuses more answerable questions
        refused_neg = float((neg < t).mean()) if len(neg) else 0.0
        if refused_neg > best[1]:
            best = (float(t), refused_neg)
    threshold = best[0]
    return {
        "threshold": round(threshold, 4),
        "answerable": len(pos),
        "unanswerable": len(neg),
        "refused_answerable": round(float((pos < threshold).mean()) if len(pos) else 0.0, 4),
        "refused_unanswerable": round(float((neg < threshold).mean()) if len(neg) else 0.0, 4),
    }


def choose(folder: Path, shared: Path, models_dir: Path, log=logger.info) -> dict:
    """Ask the news validation questions with the reader in `folder`; write the chosen threshold into
    its reader.json (key `threshold`, with `threshold_chosen_on`) and return what was chosen."""
    from qa.answering.reader import load_reader
    from qa.answering.reader_answerer import AnswerSettings, ReaderAnswerer
    from qa.evaluation import datasets as ds
    from qa.evaluation import eval as ev
    from qa.pipeline import open_embedder
    from qa.settings import Settings

    dataset = ds.news_dataset(shared)
    settings = dataclasses.replace(Settings(), models_dir=models_dir, answerer="reader")
    embedder = open_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="newsqa-threshold-") as work:
        corpus = ev.build_corpus(dataset, settings, embedder, Path(work), compare=False)
        base = settings.model_folder_root / "multilingual-e5-small"
        corpus.pipeline.answerer = ReaderAnswerer(AnswerSettings(threshold=0.0), reader=load_reader(folder, base))
        log(f"threshold: asking {len(dataset.questions)} news validation questions")
        result = ev.evaluate(dataset, corpus, compare=False)
    answerable = [d["confidence"] or 0.0 for d in result["details"] if d["answerable"]]
    unanswerable = [d["confidence"] or 0.0 for d in result["details"] if not d["answerable"]]
    chosen = pick(answerable, unanswerable)
    meta_path = folder / "reader.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["threshold"] = chosen["threshold"]
    meta["threshold_chosen_on"] = {"set": "eval/news_questions.jsonl (validation articles)", **chosen}
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"threshold: {json.dumps(chosen)}")
    return chosen
