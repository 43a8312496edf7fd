"""A small corpus of dated articles written for the time tests (not taken from any news site): the SJC
gold price on three days, the same story republished by a second site, an unrelated article and an
undated one. `write(folder)` writes them in the dantri header format (and one without headers)."""

from pathlib import Path

GOLD = {
    "2021-04-20": ("55,6", "tăng", "1.780"),
    "2021-04-24": ("55,2", "giảm", "1.770"),
    "2021-04-28": ("55,9", "tăng", "1.790"),
}


def gold_article(day: str, site: str = "tintuc.example.vn", extra: str = "") -> str:
    price, move, world = GOLD[day]
    y, m, d = (int(x) for x in day.split("-"))
    return (
        f"# doc_id = gold_{day}\n# url = https://{site}/kinh-doanh/gia-vang-sjc-{d}-{m}-{y}.htm\n"
        f"# date = {y}{m:02d}{d:02d}\n"
        f"Giá vàng SJC {move} còn {price} triệu đồng mỗi lượng\n"
        f"Giá vàng SJC tại Hà Nội được niêm yết ở mức {price} triệu đồng mỗi lượng bán ra.\n"
        f"Giá vàng thế giới đứng ở mức {world} USD mỗi ounce.\n"
        "Các chuyên gia cho rằng nhu cầu mua vàng miếng trong nước vẫn ở mức thấp so với cùng kỳ năm trước.\n"
        "Nhiều cửa hàng vàng bạc ở phố Hàng Bạc vắng khách trong những ngày gần đây.\n"
        f"{extra}"
    )


BUS = (
    "# doc_id = bus_2021-04-26\n# url = https://tintuc.example.vn/xa-hoi/ha-noi-mo-tuyen-xe-buyt-dien.htm\n"
    "# date = 20210426\n"
    "Hà Nội mở thêm tuyến xe buýt điện nối trung tâm với sân bay\n"
    "Tuyến xe buýt điện mới nối phố cổ với sân bay Nội Bài bắt đầu chạy từ sáng thứ Hai.\n"
    "Mỗi chuyến xe chở được 60 hành khách và chạy 15 phút một chuyến.\n"
    "Giá vé một lượt là 9.000 đồng, bằng giá vé các tuyến xe buýt thường.\n"
)

UNDATED = (
    "Thư viện tỉnh mở cửa đến 21 giờ mỗi tối\n\n"
    "Thư viện tỉnh kéo dài giờ mở cửa đến 21 giờ mỗi tối để phục vụ học sinh ôn thi.\n\n"
    "Bạn đọc có thể mượn tối đa năm cuốn sách mỗi lần và trả trong vòng hai tuần.\n"
)


def write(folder: Path) -> Path:
    """The corpus in `folder` (created): 3 gold price articles, a copy of the newest on another site,
    the bus article and the undated library article."""
    folder.mkdir(parents=True, exist_ok=True)
    for day in GOLD:
        (folder / f"gold_{day}.txt").write_text(gold_article(day), encoding="utf-8")
    copy = gold_article(
        "2021-04-28", site="baomoi.example.vn", extra="Bài viết được đăng lại từ một trang tin khác.\n"
    )
    (folder / "gold_copy_2021-04-28.txt").write_text(copy, encoding="utf-8")
    (folder / "bus.txt").write_text(BUS, encoding="utf-8")
    (folder / "library.txt").write_text(UNDATED, encoding="utf-8")
    return folder
