"""The ONNX query encoder gives the PyTorch model's question vectors, and falls back to PyTorch quietly."""

import logging

import numpy as np

from ingest.embedder import Embedder
from qa import fast_query

QUESTIONS = [
    "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?",
    "what did Quảng Ngãi request?",
    "bao ho ngu dan tau thuyen",
    "Nâng cấp quan hệ giúp đảm bảo hoà bình, an ninh quốc gia ra sao?",
    "How many points did the Panthers defense surrender in the 2015 season, according to the article?" * 3,
    "?",
]


def test_onnx_vectors_agree_with_torch(embedder):
    assert embedder.query_encoder is not None, "the default model should get the ONNX query encoder"
    onnx = embedder.encode_queries(QUESTIONS)
    torch = embedder.encode_with_model(QUESTIONS, embedder.query_prompt)
    assert onnx.dtype == np.float32 and onnx.shape == torch.shape
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(onnx * torch, axis=1)
    assert cosine.min() >= 0.999, cosine
    # one at a time (no padding) gives the same vectors as a padded batch
    single = np.concatenate([embedder.encode_queries([q]) for q in QUESTIONS])
    assert np.sum(single * onnx, axis=1).min() >= 0.9999


def test_export_is_reused(embedder, make_settings, tmp_path):
    models_dir = make_settings(tmp_path).model_folder_root
    folder = next(models_dir.glob("*-onnx-query"))
    before = (folder / "model.onnx").stat().st_mtime_ns
    fresh = Embedder(embedder.model, name=embedder.name)
    assert fast_query.attach_onnx_query_encoder(fresh, models_dir)
    assert (folder / "model.onnx").stat().st_mtime_ns == before
    assert not list(folder.glob(".model-*")), "no temp files left behind"


def test_failed_export_keeps_torch(embedder, tmp_path, monkeypatch, caplog):
    def broken(transformer, path):
        path.write_bytes(b"half a file")
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(fast_query, "_torch_export", broken)
    fresh = Embedder(embedder.model, name=embedder.name)
    with caplog.at_level(logging.WARNING, logger="qa.fast_query"):
        assert not fast_query.attach_onnx_query_encoder(fresh, tmp_path)
    assert fresh.query_encoder is None
    assert "exporter exploded" in caplog.text
    assert not list(tmp_path.rglob("*.onnx")), "a failed export leaves no model file"
    vector = fresh.encode_queries(["Ai dẫn đầu đoàn công tác?"])
    assert vector.shape == (1, fresh.dim)


def test_only_bert_like_models(tmp_path):
    class NotBert:
        prompts = {"query": "query: "}

        def __iter__(self):
            return iter([object()])

        def get_embedding_dimension(self):
            return 8

    fresh = Embedder(NotBert(), name="not-bert")
    assert not fast_query.attach_onnx_query_encoder(fresh, tmp_path)
    assert fresh.query_encoder is None
    assert not any(tmp_path.iterdir())
