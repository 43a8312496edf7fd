"""The watcher's box in the Articles tab (`newsqa serve --watch`): each source, its last pass, what
it added and its last error, refreshed every few seconds. Fed by one function (`Watcher.status`);
its words are here, in Vietnamese and English."""

from collections.abc import Callable
from datetime import datetime

import gradio as gr

from qa.web.render import esc, link

REFRESH_S = 5.0
SHOWN_TITLES = 5

WORDS = {
    "vi": {
        "heading": "Nguồn đang theo dõi",
        "source": "Nguồn",
        "last_pass": "Lần quét gần nhất",
        "found": "Kết quả",
        "added": "Mới thêm gần đây",
        "error": "Lỗi gần nhất",
        "never": "chưa quét",
        "passing": "đang quét…",
        "counts": "{new} mới, {changed} thay đổi, {seen} đã có, {skipped} bỏ qua",
        "next": "lần sau lúc {at}",
        "none": "–",
        "failed": "thất bại (xem lỗi)",
        "kinds": {"feed": "RSS/Atom", "sitemap": "sitemap", "folder": "thư mục"},
    },
    "en": {
        "heading": "Watched sources",
        "source": "Source",
        "last_pass": "Last pass",
        "found": "Found",
        "added": "Recently added",
        "error": "Last error",
        "never": "not yet",
        "passing": "passing…",
        "counts": "{new} new, {changed} changed, {seen} seen, {skipped} skipped",
        "next": "next at {at}",
        "none": "–",
        "failed": "failed (see the error)",
        "kinds": {"feed": "RSS/Atom", "sitemap": "sitemap", "folder": "folder"},
    },
}


def _clock(epoch) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S") if epoch else ""


def watch_html(status: list[dict], lang: str = "vi") -> str:
    """The sources as a table (every value escaped; only http(s) sources become links)."""
    w = WORDS.get(lang, WORDS["vi"])
    rows = []
    for s in status:
        kind = w["kinds"].get(s.get("kind"), s.get("kind") or "")
        source = link(s["source"], s["source"]) if s.get("kind") != "folder" else esc(s["source"])
        when = w["passing"] if s.get("passing") else (_clock(s.get("last_pass")) or w["never"])
        if s.get("next_pass") and not s.get("passing"):
            when += f" ({w['next'].format(at=_clock(s['next_pass']))})"
        found = w["none"]
        if s.get("failed"):
            found = w["failed"]
        elif s.get("last_pass"):
            found = w["counts"].format(**{k: int(s.get(k) or 0) for k in ("new", "changed", "seen", "skipped")})
        added = "".join(
            f"<li>{esc(title)} <small>{_clock(at)}</small></li>" for at, title in s["added"][:SHOWN_TITLES]
        )
        error = w["none"]
        if s.get("error"):
            error = f'<span class="nq-watch-error">{esc(s["error"])}</span> <small>{_clock(s.get("error_at"))}</small>'
        added_cell = f"<ul>{added}</ul>" if added else w["none"]
        rows.append(
            f"<tr><td>{esc(kind)}: {source}</td><td>{esc(when)}</td><td>{esc(found)}</td>"
            f"<td>{added_cell}</td><td>{error}</td></tr>"
        )
    head = "".join(f"<th>{esc(w[k])}</th>" for k in ("source", "last_pass", "found", "added", "error"))
    return (
        f'<div class="nq-watch"><h3>{esc(w["heading"])}</h3><table class="nq-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def watch_panel(status: Callable[[], list[dict]], lang: gr.Radio) -> gr.HTML:
    """The box, inside the current Blocks layout, refreshed every REFRESH_S seconds in the page's language."""
    box = gr.HTML(watch_html(status()), elem_id="nq-watch", js_on_load=None)
    gr.Timer(REFRESH_S).tick(
        lambda lang_: watch_html(status(), lang_), [lang], [box], api_visibility="private", show_progress="hidden"
    )
    return box
