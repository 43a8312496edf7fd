"""Article formats: seed text, dantri headers, saved HTML pages, URLs; ids, dates, folders. No model needed."""

import html
import http.server
import threading
from pathlib import Path

import pytest

from ingest.errors import EmptyArticleError, NoArticlesError, ReadError
from ingest.fetch import fetch_url, is_url
from ingest.readers import canonical_url, find_files, normalize_date, parse_text, read_file, url_article_id
from tests.conftest import SEEDS, SHARED, shared_file

DANTRI = SHARED / "corpora" / "dantri-unc"
SEED = SEEDS / "000_e74fd82c0679ccb9.txt"
CANONICAL = "https://baoquocte.vn/bo-ngoai-giao-va-quang-ngai-trao-doi-phoi-hop-247012.html"


def news_page(article_path: Path, canonical: str = CANONICAL) -> str:
    """A saved news page built from a seed article: header navigation, the article's paragraphs
    with the site's inline furniture between them ("Theo dõi … trên", a "Tin liên quan" box), a
    related-articles section, a most-read list and a footer."""
    article = read_file(article_path)
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in article.text.split("\n\n")]
    paragraphs.insert(1, '<p class="follow">Theo dõi Baoquocte.vn trên</p>')
    related_box = "Bộ Ngoại giao phối hợp tổ chức Hội nghị ‘Gặp gỡ Quảng Ngãi’ tại Hà Nội"
    paragraphs.insert(
        3, f'<div class="related-box"><p>Tin liên quan</p><p><a href="/r.html">{related_box}</a></p></div>'
    )
    nav = "".join(f'<li><a href="/{s}">{s.title()}</a></li>' for s in ("thoi-su", "kinh-te", "the-gioi", "van-hoa"))
    related = "".join(
        f'<li><a href="/bai-{i}.html">Bài liên quan số {i} về ngoại giao kinh tế</a>'
        f"<p>Tóm tắt bài liên quan số {i}: đoàn công tác làm việc với các địa phương.</p></li>"
        for i in range(1, 5)
    )
    most_read = "".join(
        f'<li><a href="/tin-{i}.html">Tin nổi bật số {i}: Thủ tướng tiếp Đại sứ</a></li>' for i in range(1, 6)
    )
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(article.title)} | Báo Thế giới và Việt Nam</title>
<link rel="canonical" href="{canonical}">
<meta property="og:title" content="{html.escape(article.title)}">
<meta name="author" content="Tuấn Anh">
<meta property="article:published_time" content="2023-10-24T14:30:00+07:00">
</head><body>
<header><div class="logo">Báo Thế giới và Việt Nam</div><nav><ul>{nav}</ul></nav>
<form class="search"><input name="q" placeholder="Tìm kiếm"></form></header>
<main><article>
<h1>{html.escape(article.title)}</h1>
<div class="byline">{html.escape(article.byline)}</div>
<time datetime="2023-10-24">24/10/2023</time>
{"".join(paragraphs)}
</article>
<section class="related"><h2>Bài viết cùng chủ đề</h2><ul>{related}</ul></section>
<aside class="most-read"><h3>Đọc nhiều</h3><ul>{most_read}</ul></aside>
</main>
<footer><p>Cơ quan chủ quản: Bộ Ngoại giao. Giấy phép số 888/GP-BTTTT.</p>
<p>Địa chỉ liên hệ tòa soạn: số 6 Chu Văn An, Hà Nội. Điện thoại đường dây nóng.</p></footer>
</body></html>"""


# ---- dates, ids ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, iso",
    [
        ("20191001", "2019-10-01"),
        ("2019-09-30", "2019-09-30"),
        ("2019-09-30 08:15:00", "2019-09-30"),
        ("2023-10-24T14:30:00+07:00", "2023-10-24"),
        ("2019/9/1", "2019-09-01"),
        ("1/10/2019", "2019-10-01"),
        ("01-10-2019", "2019-10-01"),
        ("2019-09-31", ""),  # no such day
        ("2019-09", ""),  # no day at all
        ("2019-09-...", ""),
        ("hôm qua", ""),
        ("", ""),
    ],
)
def test_dates_become_iso(raw, iso):
    assert normalize_date(raw) == iso


def test_ids_from_urls_are_readable_safe_and_stable():
    url = "https://dantri.com.vn/kinh-doanh/vinamilk-lot-top-1000-20201001163534963.htm"
    assert url_article_id(url) == "dantri.com.vn_kinh-doanh_vinamilk-lot-top-1000-20201001163534963"
    # spellings of the same page give the same id
    same = "HTTPS://www.DANTRI.com.vn/kinh-doanh/vinamilk-lot-top-1000-20201001163534963.htm/?utm_source=fb#top"
    assert url_article_id(same).removeprefix("www.") == url_article_id(url).removeprefix("www.")
    assert canonical_url("https://a.vn/x/?utm_medium=y&id=3#frag") == "https://a.vn/x?id=3"
    long_id = url_article_id("https://vnexpress.net/" + "bai-viet-rat-dai-" * 20 + "123.html")
    assert len(long_id) <= 100 and long_id.startswith("vnexpress.net_bai-viet")
    assert all(ch.isalnum() or ch in "._-" for ch in long_id)


# ---- the dantri header format ------------------------------------------------------------------
def test_dantri_file_metadata():
    path = shared_file(DANTRI / "news_business_001.txt")
    article = read_file(path)
    assert article.date == "2020-10-01"
    assert (
        article.url
        == "https://dantri.com.vn/kinh-doanh/vinamilk-lot-top-1000-thuong-hieu-hang-dau-chau-a-20201001163534963.htm"
    )
    assert article.id == "dantri.com.vn_kinh-doanh_vinamilk-lot-top-1000-thuong-hieu-hang-dau-chau-a-20201001163534963"
    assert article.title == "Vinamilk lọt Top 1.000 thương hiệu hàng đầu châu Á"
    assert article.extra["doc_id"] == "news_business_001"
    assert article.text.startswith("Năm 2020, Vinamilk đã vượt qua")  # the lead is body text
    assert not article.text.startswith("#")
    assert article.source == str(path.resolve())


def test_dantri_header_date_forms():
    text = "# doc_id = x1\n# url = https://dantri.com.vn/a/b-1.htm\n# date = {}\nTiêu đề bài\nCâu thứ nhất của bài.\nCâu thứ hai.\n"
    assert parse_text(text.format("2019-09-05"), "x1", "x1.txt").date == "2019-09-05"
    assert parse_text(text.format("05/09/2019"), "x1", "x1.txt").date == "2019-09-05"
    odd = parse_text(text.format("2019-09-..."), "x1", "x1.txt")
    assert odd.date == "" and odd.extra["date_raw"] == "2019-09-..."


def test_dantri_folder_skips_the_license_with_a_message():
    shared_file(DANTRI)
    files, skipped = find_files([DANTRI])
    assert len(files) == 2653
    assert all(f.suffix == ".txt" for f in files)
    assert any("LICENSE.GPL-3.0: skipped, a licence" in m for m in skipped)
    assert all(": skipped" in m for m in skipped) and len(skipped) <= 2  # the licence (and splits.json)


# ---- folders -----------------------------------------------------------------------------------
def test_folders_recursively_and_each_skipped_file_named(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text(SEED.read_text())
    (tmp_path / "a" / "b" / "two.html").write_text(news_page(SEED))
    (tmp_path / "a" / "b" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "a" / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "a" / "README").write_text("not an article")
    (tmp_path / "a" / ".hidden.txt").write_text("editor backup")
    files, skipped = find_files([tmp_path / "a", tmp_path / "a" / "one.txt"])  # one.txt reached twice
    assert [f.name for f in files] == ["two.html", "one.txt"]
    text = "\n".join(skipped)
    for name in ("photo.jpg", "notes.docx", "README"):
        assert name in text
    assert ".hidden" not in text
    with pytest.raises(NoArticlesError):
        find_files([tmp_path / "does-not-exist"])


def test_unreadable_files_are_named(tmp_path):
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01garbage")
    latin = tmp_path / "y.txt"
    latin.write_bytes("Tiêu đề\nNội dung.".encode("cp1258", errors="replace").replace(b"?", b"\xfe"))
    for path in (binary, latin):
        with pytest.raises(ReadError, match=str(path)):
            read_file(path)


# ---- HTML pages --------------------------------------------------------------------------------
def test_saved_news_page(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(news_page(SEED), encoding="utf-8")
    article = read_file(path)
    from_text = read_file(SEED)
    assert article.title == from_text.title
    assert article.byline == "Tuấn Anh"
    assert article.date == "2023-10-24"
    assert article.url == CANONICAL
    assert article.id == url_article_id(CANONICAL)
    # exactly the article's text: navigation, inline furniture, related lists and footer are gone
    assert article.text == from_text.text
    for junk in ("Kinh-Te", "Theo dõi", "Tin liên quan", "Bài liên quan số", "Tin nổi bật số", "Giấy phép số"):
        assert junk not in article.text, junk


def test_htm_suffix_and_page_without_metadata(tmp_path):
    path = tmp_path / "bai-bao.htm"
    body = "".join(
        f"<p>Đoạn văn thứ {i} của bài báo kể về việc tỉnh Quảng Ngãi phát triển kinh tế biển.</p>" for i in range(6)
    )
    path.write_text(f"<html><body><article><h1>Quảng Ngãi phát triển kinh tế biển</h1>{body}</article></body></html>")
    article = read_file(path)
    assert article.id == "bai-bao"  # no canonical URL: the file name
    assert article.title == "Quảng Ngãi phát triển kinh tế biển"
    assert article.url == "" and article.date == ""
    assert "Đoạn văn thứ 0" in article.text


def test_html_without_text(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav><a href='/'>Trang chủ</a></nav></body></html>")
    with pytest.raises(EmptyArticleError, match="empty.html"):
        read_file(path)


# ---- URLs ---------------------------------------------------------------------------------------
@pytest.fixture
def web(tmp_path):
    """An http.server on 127.0.0.1 serving tmp_path/site."""
    site = tmp_path / "site"
    site.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_page(web):
    site, base = web
    (site / "bai-viet.html").write_text(news_page(SEED), encoding="utf-8")
    assert is_url(f"{base}/bai-viet.html") and not is_url("seeds/")
    article = fetch_url(f"{base}/bai-viet.html")
    assert article.id == url_article_id(CANONICAL)  # the page's canonical link, same as the saved copy
    assert article.source == f"{base}/bai-viet.html"
    assert article.date == "2023-10-24" and article.byline == "Tuấn Anh"
    assert article.text == read_file(site / "bai-viet.html").text


def test_fetch_page_without_canonical_link_gets_an_id_from_its_address(web):
    site, base = web
    (site / "tin.html").write_text(news_page(SEED).replace(f'<link rel="canonical" href="{CANONICAL}">', ""))
    article = fetch_url(f"{base}/tin.html")
    assert article.url == f"{base}/tin.html"
    assert article.id == f"127.0.0.1-{base.rsplit(':', 1)[1]}_tin"


def test_fetch_refuses_what_is_not_an_article_page(web):
    site, base = web
    (site / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (site / "big.html").write_text("<p>" + "x" * 5000 + "</p>")
    with pytest.raises(ReadError, match=r"photo.png: the server sent image/png, not an HTML or text page"):
        fetch_url(f"{base}/photo.png")
    with pytest.raises(ReadError, match=r"missing.html: the server answered HTTP 404"):
        fetch_url(f"{base}/missing.html")
    with pytest.raises(ReadError, match="too large"):
        fetch_url(f"{base}/big.html", max_bytes=1000)
    with pytest.raises(ReadError, match="cannot be fetched"):
        fetch_url("http://127.0.0.1:9/nothing-listens-here.html", timeout=2)
