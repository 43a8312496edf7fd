"""Boilerplate removal, normalisation and chunking on the seed articles (no model needed)."""

from pathlib import Path

import pytest

from ingest.chunk import chunk_text, split_sentences
from ingest.clean import clean_lines, is_caption
from ingest.normalize import fold, match_key, normalize
from ingest.readers import read_file

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))

# Text that must never reach the index: site furniture and the unrelated headline lists.
BOILERPLATE = [
    "Theo dõi Baoquocte.vn",
    "Bài viết cùng chủ đề",
    "Đọc thêm",
    "Phiên bản di động",
    "XSMB",
    "xổ số",
    "Tử vi",
    "Sao Việt",
    "Vĩnh Phúc",
    "Phú Thọ",
    "Hải Dương",
    "Argentina",
    "Eximbank",
    "Gặp gỡ Quảng Ngãi’ tại Hà Nội",
    "Đối ngoại trong tuần",
    "Bầu cử Hạ viện Ấn Độ",
    "Thủ tướng New Zealand",
    "Ngành Ngoại giao đang bước vào một giai đoạn phát triển mới",
]


@pytest.fixture(scope="module")
def articles():
    return [read_file(p) for p in SEEDS]


def test_seed_metadata(articles):
    first, second = articles
    assert first.id == "000_e74fd82c0679ccb9"
    assert first.title.startswith("Bộ Ngoại giao và Quảng Ngãi trao đổi")
    assert first.byline == "Tin/ảnh: Tuấn Anh"
    assert second.byline == "Anh Sơn"
    assert second.title.startswith("Bộ trưởng Ngoại giao Bùi Thanh Sơn chỉ rõ 6 trọng tâm")


@pytest.mark.parametrize("phrase", BOILERPLATE)
def test_no_boilerplate_in_chunks(articles, phrase):
    for article in articles:
        for chunk in chunk_text(article.text):
            assert match_key(phrase) not in match_key(chunk.text), (article.id, chunk.index)


def test_no_marker_lines(articles):
    for article in articles:
        paragraphs = article.text.split("\n\n")
        for marker in ("Tin liên quan", "Theo dõi Baoquocte.vn trên", "Đọc thêm", "Bài viết cùng chủ đề"):
            assert marker not in paragraphs


def test_title_alt_text_removed_caption_kept(articles):
    first, second = articles
    assert match_key(first.title) not in match_key(first.text)
    # near-title alt text ("... 6 trọng tâm Ngành ngoại giao ...") goes too
    assert "chỉ rõ 6 trọng tâm Ngành ngoại giao" not in second.text
    # captions stay
    assert "Các đại biểu chụp ảnh lưu niệm." in first.text
    assert "Đại biểu Lê Thị Song An - Đoàn ĐBQH tỉnh Long An phát biểu tại phiên chất vấn." in second.text


def test_body_content_kept(articles):
    first, second = articles
    assert "Quảng Ngãi mong muốn Bộ Ngoại giao tiếp tục quan tâm, hỗ trợ địa phương" in first.text
    assert "Thứ sáu là tham gia đóng góp tích cực" in second.text
    assert first.text.rstrip().endswith("Các đại biểu chụp ảnh lưu niệm.")


def test_rules_apply_to_another_article_of_the_site():
    title = "Việt Nam và Nhật Bản tăng cường hợp tác"
    lines = [
        "Ngày 3/5/2024, hai bên đã hội đàm.",
        "Theo dõi Baoquocte.vn trên",
        "Việt Nam và Nhật Bản tăng cường hợp tác.",
        "Hai Bộ trưởng tại buổi hội đàm.",
        "Tin liên quan",
        "Một tin khác Một tin khác",
        "Nội dung chính của bài.",
        "Tiêu đề bài liên quan",
        "",
        "Tiêu đề bài liên quan",
        "",
        "Đoạn dẫn của bài liên quan ...",
        "Đọc thêm",
        "XSMB hôm nay",
    ]
    assert clean_lines(lines, title) == [
        "Ngày 3/5/2024, hai bên đã hội đàm.",
        "Hai Bộ trưởng tại buổi hội đàm.",
        "Nội dung chính của bài.",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [("hoà bình", "hòa bình"), ("thuỷ sản", "thủy sản"), ("hoá dầu", "hóa dầu"), ("khoẻ", "khỏe")],
)
def test_tone_mark_placement_matches(a, b):
    assert normalize(a) == normalize(b)
    assert len(normalize(a)) == len(a)


def test_fold():
    assert fold("Quảng Ngãi đề nghị gì") == "quang ngai de nghi gi"


def test_sentences_do_not_break_numbers_or_abbreviations():
    text = "GRDP ước tăng 2,65% so với năm 2022. Ngày 24/10, đoàn đến TP. Hà Nội làm việc. Xong."
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == [
        "GRDP ước tăng 2,65% so với năm 2022.",
        "Ngày 24/10, đoàn đến TP. Hà Nội làm việc.",
        "Xong.",
    ]


def test_chunks_have_offsets_and_overlap(articles):
    article = articles[0]
    chunks = chunk_text(article.text)
    assert len(chunks) > 5
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        assert all(c.start <= s.start < s.end <= c.end for s in c.sentences)
    for a, b in zip(chunks, chunks[1:]):
        if len(a.sentences) > 1:
            assert b.sentences[0] == a.sentences[-1]  # one sentence of overlap
    covered = {s for c in chunks for s in c.sentences}
    assert covered == set(split_sentences(article.text))


@pytest.mark.parametrize(
    "sentence, caption",
    [
        ("Người thân của nạn nhân khóc bên ngoài bệnh viện ở Ấn Độ (Ảnh: SCMP).", True),
        ("Các lò hỏa thiêu quá tải, nghĩa trang sắp hết chỗ (Ảnh minh họa: Reuters).", True),
        ("Bộ trưởng phát biểu tại buổi làm việc (Ảnh: Tuấn Anh)", True),
        ("Ảnh: Reuters", True),
        ("Ông cho biết (ảnh chụp màn hình) rằng số ca đã giảm.", False),
        ("Số ca mắc mới tăng 5% (nguồn: WHO).", False),
        ("Ảnh hưởng của dịch khiến doanh thu giảm.", False),
    ],
)
def test_photo_captions_are_told_from_news_sentences(sentence, caption):
    assert is_caption(sentence) is caption
