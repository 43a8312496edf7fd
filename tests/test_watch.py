"""The watcher (`newsqa watch`, `serve --watch`) against a local web site started here (127.0.0.1):
an RSS feed and news pages written for these tests, the real model, a real Chroma."""

import dataclasses
import json
import os
import re
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from ingest.errors import WatchError
from ingest.readers import url_article_id
from ingest.store import Key
from ingest.watch import MAX_TRIES, Watcher
from qa.evaluation.bench_watch import Site, Story, news_html, rss_xml
from tests.helpers import follow_commits, free_port, ingest, newsqa, open_pipeline, state

STORIES = [
    Story(
        "Quảng Trị khởi công cầu Cửa Việt mới",
        [
            "Sáng 5/3, UBND tỉnh Quảng Trị khởi công xây dựng cầu Cửa Việt mới dài 1,2 km với tổng vốn 850 tỷ đồng.",
            "Cầu có bốn làn xe, nối hai huyện Gio Linh và Triệu Phong, dự kiến hoàn thành vào cuối năm 2026.",
            "Chủ tịch tỉnh cho biết công trình giúp giảm tải cho quốc lộ 1 và mở thêm tuyến du lịch biển.",
        ],
        "https://tin.example.vn/xa-hoi/khoi-cong-cau-cua-viet-moi-101.htm",
        "2024-03-05",
        "Minh Anh",
    ),
    Story(
        "Đà Lạt khai mạc lễ hội hoa mùa xuân",
        [
            "Tối 8/3, thành phố Đà Lạt khai mạc lễ hội hoa mùa xuân với 300 gian hàng của các nhà vườn.",
            "Ban tổ chức dự kiến đón khoảng 200.000 lượt khách trong năm ngày diễn ra lễ hội.",
            "Năm nay lễ hội có thêm một tuyến phố đi bộ dọc hồ Xuân Hương và chợ đêm nông sản.",
        ],
        "https://tin.example.vn/du-lich/le-hoi-hoa-da-lat-102.htm",
        "2024-03-08",
        "Thu Hà",
    ),
    Story(
        "Cần Thơ đưa vào khai thác 12 tuyến xe buýt điện",
        [
            "Từ ngày 15/3, thành phố Cần Thơ đưa vào khai thác 12 tuyến xe buýt điện với 120 xe mới.",
            "Giá vé mỗi lượt là 7.000 đồng, học sinh và người cao tuổi được giảm một nửa.",
            "Sở Giao thông vận tải cho biết các tuyến nối trung tâm thành phố với bốn huyện ngoại thành.",
        ],
        "https://tin.example.vn/giao-thong/xe-buyt-dien-can-tho-103.htm",
        "2024-03-15",
        "Hoàng Nam",
    ),
]
NEW_FACT = "Theo thiết kế điều chỉnh, cầu sẽ có thêm hai làn dành cho xe máy và một lối đi bộ rộng 3 mét."


def story_page(story: Story, extra: str = "") -> str:
    paragraphs = story.paragraphs + ([extra] if extra else [])
    return news_html(Story(story.title, paragraphs, story.url, story.date, story.byline))


def many_stories(n: int) -> list[Story]:
    """`n` distinct made-up local news stories, each a few sentences."""
    places = ["Hà Giang", "Lào Cai", "Nghệ An", "Huế", "Bình Định", "Phú Yên", "Ninh Thuận", "Tây Ninh", "Bến Tre"]
    works = ["trường học", "bệnh viện", "cảng cá", "nhà máy nước", "khu tái định cư", "chợ đầu mối"]
    out = []
    for i in range(n):
        place, work = places[i % len(places)], works[i % len(works)]
        money, month, done = 120 + 37 * i, 1 + i % 12, 2025 + i % 3
        out.append(
            Story(
                f"{place} xây dựng {work} số {i + 1} trị giá {money} tỷ đồng",
                [
                    f"Tháng {month}, tỉnh {place} phê duyệt dự án {work} số {i + 1} với tổng vốn {money} tỷ đồng.",
                    f"Dự án rộng {3 + i % 9} ha, do Ban quản lý dự án tỉnh làm chủ đầu tư và hoàn thành năm {done}.",
                    f"Theo lãnh đạo tỉnh, công trình phục vụ khoảng {(i + 2) * 1500} người dân trong vùng.",
                    f"Nhà thầu cam kết sử dụng {40 + i} lao động địa phương trong suốt thời gian thi công.",
                ],
                f"https://tin.example.vn/dia-phuong/du-an-{i + 1}-{200 + i}.htm",
                f"2024-{month:02d}-{1 + i % 27:02d}",
                "Phóng viên thường trú",
            )
        )
    return out


def publish(site: Site, stories: list[Story], feed: str = "/rss.xml", prefix: str = "/bai") -> list[str]:
    """The stories' pages and a feed of them; returns the page addresses."""
    links = [site.put(f"{prefix}-{i}.html", story_page(s)) for i, s in enumerate(stories)]
    site.put(feed, rss_xml([(u, s.title, s.date) for u, s in zip(links, stories)]), kind="application/rss+xml")
    return links


@pytest.fixture
def site():
    site = Site()
    yield site
    site.close()


@pytest.fixture
def pipeline(make_settings, embedder, tmp_path):
    return open_pipeline(make_settings, embedder, tmp_path / "data")


def watcher(pipeline, *sources, **kw) -> Watcher:
    """A watcher over `pipeline`'s data folder, as `newsqa watch` makes it (here without delays)."""
    return Watcher(list(sources), pipeline.settings.data_dir, pipeline.ingest, delay=kw.pop("delay", 0), **kw)


def page_hits(site: Site) -> int:
    return sum(n for path, n in site.hits.items() if path.endswith(".html"))


# ---- a feed ------------------------------------------------------------------------------------
def test_a_new_item_is_answerable_after_one_pass_and_a_second_pass_indexes_nothing(site, pipeline):
    publish(site, STORIES)
    feed = site.url("/rss.xml")
    report = watcher(pipeline, feed).run_pass()
    (source,) = report.sources
    assert (source.kind, source.new, source.changed, source.seen, source.problems) == ("feed", 3, 0, 0, [])
    assert source.line() == f"feed {feed}: 3 new, 0 changed, 0 seen"
    assert not report.failed

    answer = pipeline.ask("Cầu Cửa Việt mới dài bao nhiêu km?")
    assert answer.found and "1,2 km" in answer.answer
    assert answer.sources[0].article_id == url_article_id(STORIES[0].url)  # the page's canonical link
    info, _, _ = pipeline.article(url_article_id(STORIES[0].url))
    assert (info.date, info.byline, info.url) == ("2024-03-05", "Minh Anh", STORIES[0].url)

    before, hits = state(pipeline), page_hits(site)
    again = watcher(pipeline, feed).run_pass()  # a new watcher, as after a restart
    assert again.sources[0].line() == f"feed {feed}: 0 new, 0 changed, 3 seen"
    assert again.sources[0].not_modified  # the feed answered 304 to its ETag
    assert page_hits(site) == hits  # no page was fetched again
    assert state(pipeline) == before


def test_a_changed_page_is_updated_in_place(site, pipeline):
    publish(site, STORIES)
    feed = site.url("/rss.xml")
    watcher(pipeline, feed).run_pass()
    article_id = url_article_id(STORIES[0].url)
    old = pipeline.index.registry()[article_id]

    site.put("/bai-0.html", story_page(STORIES[0], NEW_FACT))  # the newsroom edits the story…
    items = [(site.url(f"/bai-{i}.html"), s.title, s.date) for i, s in enumerate(STORIES)]
    items[0] = (items[0][0], STORIES[0].title + " (cập nhật)", STORIES[0].date)  # …and the feed says so
    site.put("/rss.xml", rss_xml(items), kind="application/rss+xml")
    report = watcher(pipeline, feed).run_pass()
    assert report.sources[0].line() == f"feed {feed}: 0 new, 1 changed, 2 seen"

    registry = pipeline.index.registry()
    assert len(registry) == 3 and registry[article_id].hash != old.hash  # the same article, a new version
    state(pipeline)  # exact: the old version's chunks are gone
    answer = pipeline.ask("Lối đi bộ trên cầu Cửa Việt rộng bao nhiêu mét?")
    assert answer.found and "3 mét" in answer.answer and answer.sources[0].article_id == article_id

    # an edit the feed does not announce: found when the feed's pages are checked again (hourly by default)
    site.put("/bai-2.html", story_page(STORIES[2], "Tuyến xe buýt điện số 13 sẽ mở thêm vào tháng 6."))
    hits = page_hits(site)
    assert watcher(pipeline, feed).run_pass().sources[0].line() == f"feed {feed}: 0 new, 0 changed, 3 seen"
    assert page_hits(site) == hits  # not time to check yet
    report = watcher(pipeline, feed, recheck=0).run_pass()
    assert report.sources[0].line() == f"feed {feed}: 0 new, 1 changed, 2 seen"  # the others answered 304
    assert page_hits(site) == hits + 3
    state(pipeline)


def test_the_same_story_in_two_feeds_is_fetched_and_indexed_once(site, pipeline):
    links = publish(site, STORIES)
    tracked = [(u + "?utm_source=rss&utm_medium=feed", s.title, s.date) for u, s in zip(links, STORIES)]
    site.put("/other.xml", rss_xml(tracked[:2], "Tin nổi bật"), kind="application/rss+xml")
    report = watcher(pipeline, site.url("/rss.xml"), site.url("/other.xml")).run_pass()
    assert [(s.new, s.seen) for s in report.sources] == [(3, 0), (0, 2)]
    assert site.hits["/bai-0.html"] == 1 and len(pipeline.index.registry()) == 3


def test_a_story_under_two_addresses_is_one_article(site, pipeline):
    """Two feeds link to two addresses of one page (a mobile copy with the same canonical link)."""
    publish(site, STORIES[:1])
    site.put("/m/bai-0.html", story_page(STORIES[0]))
    site.put("/mobile.xml", rss_xml([(site.url("/m/bai-0.html"), STORIES[0].title, STORIES[0].date)]))
    report = watcher(pipeline, site.url("/rss.xml"), site.url("/mobile.xml")).run_pass()
    assert [(s.new, s.changed, s.seen) for s in report.sources] == [(1, 0, 0), (0, 0, 1)]
    assert list(pipeline.index.registry()) == [url_article_id(STORIES[0].url)]


# ---- faults ------------------------------------------------------------------------------------
def test_every_fault_is_one_line_the_pass_goes_on_and_nothing_indexed_is_touched(site, pipeline):
    links = publish(site, STORIES[:2])
    feed = site.url("/rss.xml")
    watcher(pipeline, feed).run_pass()
    before = state(pipeline)

    site.put(
        "/nav.html", "<html><body><nav><a href='/'>Trang chủ</a> <a href='/the-thao'>Thể thao</a></nav></body></html>"
    )
    site.put("/anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, kind="image/png")
    site.put("/vong.html", status=302, headers={"Location": "/vong.html"})
    site.put("/lon.html", size=50 * 2**20)  # 50 MB, announced by its Content-Length
    site.put("/lon-nua.html", size=50 * 2**20, length=False)  # 50 MB, no length: read until the limit
    site.put("/bai-0.html", "<html><body><nav>Trang chủ</nav></body></html>")  # an indexed page breaks
    faults = ["/khong-co.html", "/nav.html", "/anh.png", "/vong.html", "/lon.html", "/lon-nua.html"]
    items = [(u, s.title + " (cập nhật)", s.date) for u, s in zip(links, STORIES)]  # both listed as changed
    items += [(site.url(p), f"Tin {p}", "2024-03-20") for p in faults]
    site.put("/rss.xml", rss_xml(items + [(site.url("/bai-moi.html"), STORIES[2].title, STORIES[2].date)]))
    site.put("/bai-moi.html", story_page(STORIES[2]))
    site.put("/trang.html", "<html><body><h1>Không phải nguồn tin</h1><p>Chỉ là một trang web.</p></body></html>")
    down = f"http://127.0.0.1:{free_port()}/rss.xml"

    report = watcher(pipeline, feed, site.url("/trang.html"), down).run_pass()
    good, not_xml, gone = report.sources
    assert (good.new, good.changed, good.seen, len(good.problems)) == (1, 0, 1, 7)
    problems = "\n".join(good.problems)
    assert len(problems.splitlines()) == 7  # one line each
    for expected in (
        r"/khong-co.html: the server answered HTTP 404 \(Not Found\)\.",
        r"/nav.html: article 'Trang chủ Thể thao' has no body text after cleaning\. Nothing was indexed\.",
        r"/anh.png: the server sent image/png, not an HTML or text page\.",
        r"/vong.html: redirects in a loop \(or more than 10 times\); nothing was read\.",
        r"/lon.html: 51,200 KiB, too large \(the limit is 5,120 KiB\); not read\.",
        r"/lon-nua.html: too large \(over the limit of 5,120 KiB\); not read\.",
        r"/bai-0.html: article 'Trang chủ' has no body text after cleaning\. Nothing was indexed\.",
    ):
        assert re.search(expected, problems), expected
    assert good.line() == f"feed {feed}: 1 new, 0 changed, 1 seen, 7 skipped"
    page = site.url("/trang.html")
    assert not_xml.line() == (
        f"feed {page}: failed: not an RSS or Atom feed, nor a sitemap (the server sent text/html). "
        "Give the address of the feed."
    )
    assert gone.line().startswith(f"feed {down}: failed: cannot be fetched (") and "\n" not in gone.line()
    assert report.failed

    after = state(pipeline)
    assert {k: after["articles"][k] for k in before["articles"]} == before["articles"]  # untouched
    assert set(after["articles"]) - set(before["articles"]) == {url_article_id(STORIES[2].url)}


def test_a_failing_page_is_tried_again_then_given_up(site, pipeline):
    publish(site, STORIES[:1])
    feed = site.url("/rss.xml")
    site.put("/rss.xml", rss_xml([(site.url("/sau.html"), "Tin sẽ đăng", "2024-03-21")]))
    lines = [watcher(pipeline, feed).run_pass().sources[0] for _ in range(MAX_TRIES)]
    assert [len(s.problems) for s in lines] == [1] * MAX_TRIES  # tried at each pass, feed unchanged (304)
    assert lines[-1].problems[0].endswith(f"Given up after {MAX_TRIES} tries, until the listing changes this item.")
    assert watcher(pipeline, feed).run_pass().sources[0].problems == []
    assert site.hits["/sau.html"] == MAX_TRIES


def test_the_watcher_keeps_running_through_faults(site, pipeline):
    publish(site, STORIES[:1])
    down = f"http://127.0.0.1:{free_port()}/rss.xml"
    w = watcher(pipeline, down, site.url("/rss.xml"))
    passes, stop = [], threading.Event()

    def on_pass(report):
        passes.append(report)
        if len(passes) == 1:
            site.put("/bai-9.html", story_page(STORIES[2]))
            site.put("/rss.xml", rss_xml([(site.url("/bai-9.html"), STORIES[2].title, STORIES[2].date)]))
        if len(passes) == 3:
            stop.set()

    thread = threading.Thread(target=w.run, args=(0.2, stop, on_pass))
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive() and len(passes) == 3
    assert all(p.sources[0].error for p in passes)
    assert [p.sources[1].new for p in passes] == [1, 1, 0]
    status = w.status()
    assert status[0]["error"].startswith("cannot be fetched") and status[1]["added"][0][1] == STORIES[2].title


def test_robots_txt_and_the_delay_between_requests_to_a_host(site, pipeline):
    links = publish(site, STORIES)
    site.put("/robots.txt", "User-agent: *\nCrawl-delay: 0.5\nDisallow: /bai-1.html\n", kind="text/plain")
    times = []
    handler = site.server.RequestHandlerClass
    original = handler.do_GET

    def timed(self):
        times.append(time.monotonic())
        original(self)

    handler.do_GET = timed
    report = watcher(pipeline, site.url("/rss.xml"), delay=0.1).run_pass()
    (source,) = report.sources
    assert (source.new, source.problems) == (
        2,
        [f"{links[1]}: robots.txt does not allow newsqa to fetch it; skipped."],
    )
    assert site.hits["/bai-1.html"] == 0
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 4 and min(gaps) >= 0.4, gaps  # robots.txt, the feed, two pages: Crawl-delay apart


# ---- sitemaps and folders -------------------------------------------------------------------
def test_a_sitemap(site, pipeline):
    links = [site.put(f"/tin/{i}.html", story_page(s)) for i, s in enumerate(STORIES[:2])]
    urls = "".join(f"<url><loc>{u}</loc><lastmod>2024-03-0{i + 5}</lastmod></url>" for i, u in enumerate(links))
    xmlns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.put("/sitemap-1.xml", f'<?xml version="1.0"?><urlset {xmlns}>{urls}</urlset>', kind="application/xml")
    index = f"<sitemapindex {xmlns}><sitemap><loc>{site.url('/sitemap-1.xml')}</loc></sitemap></sitemapindex>"
    site.put("/sitemap.xml", index, kind="application/xml")
    report = watcher(pipeline, site.url("/sitemap.xml")).run_pass()
    assert report.sources[0].line() == f"sitemap {site.url('/sitemap.xml')}: 2 new, 0 changed, 0 seen"
    assert watcher(pipeline, site.url("/sitemap.xml")).run_pass().sources[0].new == 0


def test_a_folder(tmp_path, pipeline):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for i, s in enumerate(STORIES[:2]):
        (folder / f"bai-{i}.html").write_text(story_page(s), encoding="utf-8")
    (folder / "hong.txt").write_bytes(b"\x00\x01 not text")
    first = watcher(pipeline, str(folder)).run_pass().sources[0]
    assert (first.kind, first.new, len(first.problems)) == ("folder", 2, 1)
    assert first.problems[0] == f"{folder / 'hong.txt'}: binary file, not an article. Give a UTF-8 text or HTML file."
    second = watcher(pipeline, str(folder)).run_pass().sources[0]
    assert (second.new, second.changed, second.seen, second.problems) == (0, 0, 2, [])  # said once

    (folder / "bai-0.html").write_text(story_page(STORIES[0], NEW_FACT), encoding="utf-8")
    (folder / "bai-2.html").write_text(story_page(STORIES[2]), encoding="utf-8")
    third = watcher(pipeline, str(folder)).run_pass().sources[0]
    assert third.line() == f"folder {folder}: 1 new, 1 changed, 1 seen"
    state(pipeline)


def test_sources_that_cannot_be_watched(tmp_path, pipeline):
    with pytest.raises(WatchError, match="neither a feed or sitemap address"):
        watcher(pipeline, str(tmp_path / "missing"))
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(WatchError, match="a file, not a folder"):
        watcher(pipeline, str(tmp_path / "a.txt"))


def test_the_feed_date_when_the_page_gives_none_and_an_atom_feed(site, pipeline):
    undated = Story(STORIES[1].title, STORIES[1].paragraphs, STORIES[1].url, "", STORIES[1].byline)
    link = site.put("/khong-ngay.html", news_html(undated))
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Tin</title>'
        f"<id>urn:tin</id><updated>2024-03-09T07:00:00+07:00</updated><entry><title>{undated.title}</title>"
        f'<link href="{link}"/><id>urn:1</id><updated>2024-03-09T07:00:00+07:00</updated></entry></feed>'
    )
    site.put("/atom.xml", atom, kind="application/atom+xml")
    assert watcher(pipeline, site.url("/atom.xml")).run_pass().sources[0].new == 1
    info, _, _ = pipeline.article(url_article_id(STORIES[1].url))
    assert info.date == "2024-03-09"  # the feed's, as its publisher wrote it (UTC would say 03-09 too)


def test_listings_read_without_a_network():
    import gzip

    from ingest.errors import ReadError
    from ingest.feeds import parse_listing
    from ingest.polite import crawl_delay

    rss = rss_xml([("/tin/a.html?utm_source=x", "Tin A", "2024-03-01"), ("", "Tin không có link", "")])
    listing = parse_listing(rss.encode(), "https://bao.example.vn/rss.xml", "application/rss+xml")
    assert [(e.url, e.key) for e in listing.entries] == [
        ("https://bao.example.vn/tin/a.html?utm_source=x", "https://bao.example.vn/tin/a.html")
    ]
    assert listing.problems == [
        "https://bao.example.vn/rss.xml: 'Tin không có link' has no web page address (link); skipped."
    ]
    sitemap = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/b.html</loc></url></urlset>'
    gz = parse_listing(gzip.compress(sitemap.encode()), "https://bao.example.vn/sitemap.xml.gz")
    assert gz.kind == "sitemap" and [e.url for e in gz.entries] == ["https://bao.example.vn/b.html"]
    with pytest.raises(ReadError, match="not an RSS or Atom feed, nor a sitemap"):
        parse_listing(b'{"items": []}', "https://bao.example.vn/feed", "application/json")
    robots = ["User-agent: *", "Crawl-delay: 2", "", "User-agent: newsqa", "Crawl-delay: 0.5", "Disallow: /x"]
    assert (crawl_delay(robots), crawl_delay(robots[:3]), crawl_delay(["Crawl-delay: abc"])) == (0.5, 2.0, 0.0)


# ---- the command -------------------------------------------------------------------------------
def test_newsqa_watch_once(site, run, tmp_path):
    publish(site, STORIES[:2])
    feed = site.url("/rss.xml")
    result = run("watch", "--once", "--delay", "0", feed, str(tmp_path / "data" / "uploads"))
    assert result.exit_code == 1  # the folder does not exist
    assert "neither a feed or sitemap address" in result.output

    result = run("watch", "--once", "--delay", "0", feed)
    assert (result.exit_code, result.output) == (0, f"feed {feed}: 2 new, 0 changed, 0 seen\n")
    result = run("watch", "--once", "--delay", "0", feed)
    assert (result.exit_code, result.output) == (0, f"feed {feed}: 0 new, 0 changed, 2 seen\n")
    assert "Quảng Trị" in run("list").output

    down = f"http://127.0.0.1:{free_port()}/rss.xml"
    site.put("/khong.html", status=404)
    site.put("/rss.xml", rss_xml([(site.url("/khong.html"), "Tin lỗi", "2024-03-21")]))
    result = run("watch", "--once", "--delay", "0", feed, down)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"feed {feed}: 0 new, 0 changed, 0 seen, 1 skipped"
    assert lines[1] == f"  skipped: {site.url('/khong.html')}: the server answered HTTP 404 (Not Found)."
    assert re.fullmatch(rf"feed {re.escape(down)}: failed: cannot be fetched \(.*refused\)\. Check the .*", lines[2])
    assert len(lines) == 3


def test_one_watcher_per_data_folder(site, pipeline):
    publish(site, STORIES[:1])
    w = watcher(pipeline, site.url("/rss.xml"))
    lock = w.state.lock()
    try:
        with pytest.raises(WatchError, match="Another newsqa watcher"):
            watcher(pipeline, site.url("/rss.xml")).state.lock()
    finally:
        lock.release()


# ---- beside the app ----------------------------------------------------------------------------
def test_serve_with_a_watcher_shows_its_sources_in_the_articles_tab(site, pipeline):
    from qa.watching import BackgroundWatch
    from qa.web.layout import build_ui
    from qa.web.watch_panel import watch_html

    publish(site, STORIES[:2])
    down = f"http://127.0.0.1:{free_port()}/rss.xml"
    passes = []
    background = BackgroundWatch(pipeline.settings, [site.url("/rss.xml"), down], 3600, passes.append, delay=0)
    demo = build_ui(pipeline, pipeline.settings, watch_status=background.status)
    background.start(demo.newsqa.service.get)  # as `launch` does: the app's own pipeline writes
    try:
        deadline = time.monotonic() + 300
        while not passes and time.monotonic() < deadline:
            time.sleep(0.2)
        assert passes and passes[0].sources[0].new == 2
        assert {a.title for a in demo.newsqa.service.get().articles()} == {s.title for s in STORIES[:2]}
        page = watch_html(background.status(), "en")
        assert site.url("/rss.xml") in page and STORIES[0].title in page and "2 new, 0 changed, 0 seen" in page
        assert "cannot be fetched" in page and "failed (see the error)" in page  # the down feed
        assert "<script" not in watch_html([{**background.status()[0], "error": "<script>x</script>"}], "vi")
    finally:
        background.stop()


def test_the_served_app_with_watch(site, pipeline):
    """`launch(watcher=…)`: the watcher writes through the served app's pipeline (one writer)."""
    from qa.watching import BackgroundWatch
    from qa.web.server import launch

    publish(site, STORIES[2:])
    settings = dataclasses.replace(pipeline.settings, port=free_port())
    background = BackgroundWatch(settings, [site.url("/rss.xml")], 3600, delay=0)
    served = launch(settings, background=True, watcher=background)
    try:
        with pytest.raises(WatchError, match="Another newsqa watcher"):
            BackgroundWatch(settings, [site.url("/rss.xml")])
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not background.status()[0]["last_pass"]:
            time.sleep(0.2)
        with urllib.request.urlopen(served.url + "api/articles", timeout=60) as r:
            listed = json.loads(r.read())
        assert [a["title"] for a in listed] == [STORIES[2].title]
    finally:
        served.close()
    BackgroundWatch(settings, [site.url("/rss.xml")]).stop()  # closing the app released the watch lock


# ---- a crash -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_kill_9_mid_pass_leaves_the_index_exact(site, make_settings, embedder, tmp_path):
    """`newsqa watch --once`, committing every few chunks, is killed with SIGKILL after some commits.
    The next pass completes it: the index equals a clean ingest of the same pages saved as files."""
    stories = many_stories(30)
    publish(site, stories)
    feed = site.url("/rss.xml")
    data = tmp_path / "data"
    proc = newsqa(
        data, "-v", "watch", "--once", "--delay", "0", feed, NEWSQA_COMMIT_CHUNKS="3", NEWSQA_GRACE_SECONDS="0"
    )
    commits, lines, reader = follow_commits(proc)
    deadline = time.monotonic() + 600
    while len(commits) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL, "".join(lines[-20:])

    partial = open_pipeline(make_settings, embedder, data)
    indexed = partial.articles()
    assert 0 < len(indexed) < 30
    for info in indexed:  # whole articles only, each in one version
        _, _, chunks = partial.article(info.id)
        assert len(chunks) == info.chunk_count and {c[Key.ARTICLE_HASH] for c in chunks} == {info.hash}

    rerun = open_pipeline(make_settings, embedder, data)
    report = watcher(rerun, feed).run_pass()
    source = report.sources[0]
    assert not report.failed and source.new == 30 - len(indexed) and source.new + source.seen == 30

    saved = tmp_path / "saved"
    saved.mkdir()
    for i, s in enumerate(stories):
        (saved / f"bai-{i}.html").write_text(story_page(s), encoding="utf-8")
    reference = open_pipeline(make_settings, embedder, tmp_path / "reference")
    ingest(reference, saved)
    assert state(rerun) == state(reference)
    assert Path(data / "watch" / "state.json").is_file()
