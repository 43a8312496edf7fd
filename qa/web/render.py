"""The app's HTML: answers with clickable citations, source cards, the whole article with the cited
passage marked, the article table. Every piece of article-derived text goes through `esc()`;
only http(s) URLs become links."""

import html
import json
import re
from datetime import date
from urllib.parse import urlparse

from qa.answering.answer import Answer, Source, render_claims
from qa.web.redact import file_name

MAX_SHOWN_QUESTION = 400  # characters of a (too) long question echoed in the chat
MONTHS_EN = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def esc(text) -> str:
    """HTML-escape text (quotes included), plus the characters templates might interpret."""
    return (
        html.escape("" if text is None else str(text), quote=True)
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        .replace("$", "&#36;")
        .replace("`", "&#96;")
    )


def safe_url(url: str) -> str:
    """The URL when it is http(s) with a host, else "" (javascript:, data:, relative… never become links)."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return ""
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc and not re.search(r"[\s\x00-\x1f]", url):
        return url
    return ""


def link(url: str, label: str) -> str:
    """An external link, or the escaped label alone when the URL is not http(s)."""
    url = safe_url(url)
    if not url:
        return esc(label)
    return f'<a class="nq-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'


def original_link(url: str, t: dict) -> str:
    """ "Original page (dantri.com.vn)": a link to the article where it was published."""
    host = urlparse(url).hostname or ""
    host = host[4:] if host.startswith("www.") else host
    return link(url, f"{t['original']} ({host})" if host else t["original"])


def display_date(value: str, t: dict) -> str:
    """An article's date (yyyy-mm-dd) as a reader of the UI's language writes it: 24/10/2023 or
    24 Oct 2023; anything else as it is."""
    try:
        day = date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return value or ""
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}" if t.get("lang") == "en" else day.strftime("%d/%m/%Y")


def where_html(url: str, source: str, t: dict) -> str:
    """Where the article comes from: a link to its original page, else its file's name."""
    if safe_url(url):
        return original_link(url, t)
    if source:
        return f'{esc(t["file"])}: <span class="nq-file">{esc(file_name(source))}</span>'
    return ""


def cited_and_related(answer: Answer) -> tuple[list[Source], list[Source]]:
    """Listed sources are exactly the cited ones; retrieved-but-uncited ones go to "related"."""
    cited = {n for c in answer.claims for n in (c.cited or [c.source])}
    sources = [s for s in answer.sources if s.number in cited]
    related = [s for s in answer.sources if s.number not in cited] + list(answer.related)
    return sources, related


def source_key(source: Source) -> str:
    """What a click on a source sends back: where its passage and cited sentences are in the article."""
    return json.dumps(
        {
            "a": source.article_id,
            "s": int(source.start),
            "e": int(source.end),
            "h": [[int(source.start + a), int(source.start + b)] for a, b in source.highlights],
            "n": int(source.number),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """Escaped text with each span wrapped in <mark>."""
    out, pos = [], 0
    for a, b in _merge(spans, len(text)):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _merge(spans, limit: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for a, b in sorted((max(0, int(a)), min(limit, int(b))) for a, b in spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def source_html(source: Source, t: dict, numbered: bool = True) -> str:
    """A source card: [n] (its rank among the cited passages), title, date, byline, where it is
    from, the passage with the cited sentences marked, and the button that opens the article."""
    key = esc(source_key(source))
    where = where_html(source.url, source.source, t)
    meta = [
        f'<span class="nq-date">{esc(display_date(source.date, t))}</span>'
        if source.date
        else f'<span class="nq-date nq-undated">{esc(t["undated"])}</span>'
    ]
    meta.append(f'<span class="nq-by">{esc(source.byline)}</span>' if source.byline else "")
    if source.duplicates:
        copies = "; ".join(f"{d.get('title', '')} ({d.get('date') or t['undated']})" for d in source.duplicates)
        meta.append(
            f'<span class="nq-dups" title="{esc(copies)}">{esc(t["also_in"].format(n=len(source.duplicates)))}</span>'
        )
    meta.append(f'<span class="nq-where">{where}</span>' if where else "")
    number = f'<span class="nq-num">[{int(source.number)}]</span> ' if numbered and source.number else ""
    return (
        '<div class="nq-source">'
        f'<div class="nq-src-head">{number}<span class="nq-title">{esc(source.title or source.article_id)}</span></div>'
        f'<div class="nq-meta">{" · ".join(m for m in meta if m)}</div>'
        f'<div class="nq-passage" tabindex="0">{marked(source.text, source.highlights)}</div>'
        f'<button type="button" class="nq-open" value="{key}">{esc(t["open"])}</button>'
        "</div>"
    )


def claim_html(claim) -> str:
    """A claim's text, the phrase that answers the question marked inside it (issue 16)."""
    span = claim.answer_span
    if not span:
        return esc(claim.text)
    a, b = span["start"], span["end"]
    text = claim.text
    return f'{esc(text[:a])}<mark class="nq-phrase">{esc(text[a:b])}</mark>{esc(text[b:])}'


def answer_html(answer: Answer, t: dict) -> str:
    """The whole answer message: claims with clickable citations, sources, related passages."""
    sources, related = cited_and_related(answer)
    by_number = {s.number: s for s in sources}
    parts = ['<div class="nq-answer">']
    if answer.searched:
        parts.append(f'<div class="nq-searched">{esc(t["searched"])} <q>{esc(answer.searched)}</q></div>')
    if answer.mode == "llm":
        model = str(answer.signals.get("llm", ""))
        parts.append(f'<div class="nq-mode nq-mode-llm">{esc(t["mode_llm"].format(model=model))}</div>')
    if answer.note:
        parts.append(f'<div class="nq-note">{esc(t["llm_note"])}: {esc(answer.note)}</div>')
    if answer.time_note:
        parts.append(f'<div class="nq-time">{esc(answer.time_note)}</div>')
    timeline = answer.time.get("kind") == "timeline"
    if answer.claims:
        body = []
    elif not answer.found and not answer.time.get("uncovered"):  # the refusal in the UI's language, like the rest
        # of the message (a date the articles do not cover is refused with the dates they do cover: shown as said)
        body = [esc(t["not_found_closest"] if related else t["not_found"])]
    else:
        body = [esc(answer.answer)]
    for claim in answer.claims:
        cite = ""
        for number in claim.cited or [claim.source]:
            src = by_number.get(number)
            cite += (
                f' <button type="button" class="nq-cite" value="{esc(source_key(src))}" '
                f'title="{esc(src.title)}">[{number}]</button>'
                if src is not None
                else f" [{number}]"
            )
        if timeline:
            body.append(
                f'<li class="nq-claim"><span class="nq-claim-date">{esc(claim.date or t["undated"])}</span> '
                f"{claim_html(claim)}{cite}</li>"
            )
        elif claim.verified:
            body.append(f'<span class="nq-claim">{claim_html(claim)}{cite}</span>')
        else:
            why = f"{t['unverified']}: {claim.reason}"
            body.append(
                f'<span class="nq-claim nq-unverified" title="{esc(why)}">{claim_html(claim)}{cite} '
                f'<span class="nq-badge">{esc(t["unverified"])}</span></span>'
            )
    css = "nq-text" if answer.found else "nq-text nq-notfound"
    if timeline:
        parts.append(f'<ol class="nq-text nq-timeline">{"".join(body)}</ol>')
    else:
        parts.append(f'<p class="{css}">{" ".join(body)}</p>')
    if sources:
        parts.append(f'<div class="nq-sources"><div class="nq-h">{esc(t["sources"])}</div>')
        parts.extend(source_html(s, t) for s in sources)
        parts.append("</div>")
    if related:
        label = t["related"] if answer.found else t["closest"]
        opened = "" if answer.found else " open"
        parts.append(f'<details class="nq-related"{opened}><summary>{esc(label)} ({len(related)})</summary>')
        parts.extend(source_html(s, t, numbered=False) for s in related)
        parts.append("</details>")
    parts.append(
        f'<div class="nq-actions"><button type="button" class="nq-copy" value="{esc(copy_text(answer, t))}">'
        f'<span class="nq-copy-label">{esc(t["copy"])}</span>'
        f'<span class="nq-copied" hidden>{esc(t["copied"])}</span></button></div>'
    )
    parts.append("</div>")
    return "".join(parts)


def copy_text(answer: Answer, t: dict) -> str:
    """The answer with its references, for a report or an e-mail: what "Copy answer" copies
    (file names, never the server's paths)."""
    sources, _ = cited_and_related(answer)
    if answer.claims:
        lines = [render_claims(answer.claims), ""]
    else:
        lines = [t["not_found"] if not answer.found else answer.answer, ""]
    if answer.note:
        lines.insert(0, answer.note)
    for s in sources:
        where = s.url if safe_url(s.url) else file_name(s.source)
        meta = ", ".join(x for x in (s.byline, display_date(s.date, t)) if x)
        lines.append(f"[{s.number}] {s.title}" + (f" ({meta})" if meta else "") + (f". {where}" if where else ""))
        for a, b in s.highlights:
            lines.append(f"    “{s.text[a:b]}”")
    return "\n".join(lines).strip()


def streaming_html(text: str, t: dict) -> str:
    """The language model's answer while it is being written (replaced by the verified answer)."""
    return (
        f'<div class="nq-answer nq-streaming"><div class="nq-mode">{esc(t["llm_writing"])}</div>'
        f'<p class="nq-text">{esc(text)}</p></div>'
    )


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="nq-msg nq-{kind}">{esc(text)}</div>'


def user_html(question: str) -> str:
    shown = question if len(question) <= MAX_SHOWN_QUESTION else question[:MAX_SHOWN_QUESTION] + "…"
    return f'<div class="nq-question">{esc(shown)}</div>'


def article_html(info, text: str, key: dict | None, t: dict) -> str:
    """The whole cleaned article; the clicked passage wrapped in #nq-focus, its cited sentences
    marked. On a phone the panel covers the page; its "back" button returns to the answer."""
    meta = [esc(display_date(info.date, t)) if info.date else "", esc(info.byline) if info.byline else ""]
    meta.append(where_html(info.url, info.source, t))
    n = len(text)
    start = end = 0
    spans: list[tuple[int, int]] = []
    if key:
        start = min(max(0, int(key.get("s", 0))), n)
        end = min(max(start, int(key.get("e", 0))), n)
        spans = [(int(a), int(b)) for a, b in key.get("h", []) if start <= int(a) < int(b) <= end]
    if end > start:
        inner, pos = [], start
        for a, b in _merge(spans, end):
            inner.append(esc(text[pos:a]) + f"<mark>{esc(text[a:b])}</mark>")
            pos = b
        inner.append(esc(text[pos:end]))
        body = f'{esc(text[:start])}<span id="nq-focus" class="nq-focus">{"".join(inner)}</span>{esc(text[end:])}'
    else:
        body = esc(text)
    return (
        f'<div class="nq-article" data-nq-article="{esc(info.id)}">'
        f'<button type="button" class="nq-back">{esc(t["back"])}</button>'
        f'<h3 class="nq-article-title">{esc(info.title or info.id)}</h3>'
        f'<div class="nq-meta">{" · ".join(m for m in meta if m)}</div>'
        f'<div class="nq-body">{body}</div></div>'
    )


def articles_table(articles, t: dict) -> str:
    if not articles:
        return message_html(t["no_articles"])
    rows = "".join(
        f"<tr><td>{esc(a.title)}</td><td>{esc(display_date(a.date, t) or t['undated'])}</td><td>{int(a.chunk_count)}</td>"
        f'<td class="nq-id">{esc(a.id)}</td></tr>'
        for a in articles
    )
    return (
        f'<table class="nq-table"><thead><tr><th>{esc(t["col_title"])}</th><th>{esc(t["col_date"])}</th>'
        f"<th>{esc(t['col_chunks'])}</th><th>{esc(t['col_id'])}</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def article_choices(articles) -> list[tuple[str, str]]:
    out = []
    for a in articles:
        title = a.title if len(a.title) <= 90 else a.title[:89] + "…"
        out.append((f"{title} ({a.date})" if a.date else title, a.id))
    return out


def article_placeholder(t: dict) -> str:
    return f'<div class="nq-placeholder">{esc(t["article_placeholder"])}</div>'


def header_html(t: dict, generative: bool = False) -> str:
    """The title, and what the answers are: quoted, or written by the language model and checked."""
    subtitle = t["subtitle_llm"] if generative else t["subtitle"]
    return f'<div class="nq-header"><h1>{esc(t["title"])}</h1><p>{esc(subtitle)}</p></div>'
