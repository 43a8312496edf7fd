"""Conversations as data: what the chat shows is rendered from them (in the UI's language, again
after a switch), the browser keeps them across reloads, and they export as Markdown.

A conversation is {"id", "title", "updated", "turns"}; a turn is {"q": question, "s": what was
searched, "a": the answer (`Answer.to_dict()` without its signals)} or {"q", "e": [message key,
arguments]} for a question that got an error message. The library of saved conversations,
{"current": id, "lang": "vi"|"en", "conversations": [newest first]}, lives in the browser's
localStorage (`gr.BrowserState`): nothing of it is kept on the server. It is bounded: at most
MAX_SAVED conversations and MAX_SAVED_CHARS of JSON (the oldest go first). What comes back from
the browser is data from the client: it is checked here and every piece of it is escaped when
rendered (`qa.web.render`).
"""

import json
import logging
import secrets
from datetime import datetime

from qa.answering.answer import Answer, Claim, Source
from qa.question.conversation import MAX_TURNS, keep_recent
from qa.web.redact import file_name
from qa.web.render import answer_html, display_date, message_html, user_html

logger = logging.getLogger(__name__)

MAX_SAVED = 30  # conversations kept in the browser
MAX_SAVED_CHARS = 1_500_000  # JSON characters of all of them (localStorage holds about 5 MB)
MAX_TITLE = 80


def new_library() -> dict:
    return {"current": "", "lang": "", "conversations": []}


def new_id() -> str:
    return secrets.token_hex(6)


# ---- turns ---------------------------------------------------------------------------------
def answer_turn(question: str, searched: str, answer: Answer) -> dict:
    data = answer.to_dict()
    model = data.get("signals", {}).get("llm")
    data["signals"] = {"llm": model} if model else {}  # what rendering needs, nothing of the scoring
    for s in data["sources"] + data["related"]:
        s["source"] = file_name(s.get("source", ""))
    return {"q": question, "s": searched, "a": data}


def error_turn(question: str, key: str, **args) -> dict:
    return {"q": question, "e": [key, args]}


def answer_of(data: dict) -> Answer:
    """The Answer of a saved turn (raises TypeError/ValueError/KeyError on data that is not one)."""
    sources = [_source(s) for s in data.get("sources", [])]
    related = [_source(s) for s in data.get("related", [])]
    claims = [Claim(**{**c, "cited": [int(n) for n in c.get("cited", [])]}) for c in data.get("claims", [])]
    keys = ("question", "answer", "found", "searched", "language", "mode", "note", "time", "time_note")
    fields = {k: data[k] for k in keys if k in data}
    return Answer(**fields, sources=sources, related=related, claims=claims, signals=dict(data.get("signals", {})))


def _source(s: dict) -> Source:
    s = {**s, "highlights": [(int(a), int(b)) for a, b in s.get("highlights", [])]}
    for key in ("number", "start", "end"):
        s[key] = int(s[key])
    s["score"] = float(s.get("score", 0.0))
    return Source(**s)


def valid_turns(turns) -> list[dict]:
    """The turns that can be shown (others, from a tampered or older browser store, are dropped)."""
    out = []
    for turn in keep_recent(turns if isinstance(turns, list) else [], MAX_TURNS):
        try:
            if not isinstance(turn, dict) or not isinstance(turn.get("q"), str):
                raise ValueError("no question")
            if "a" in turn:
                answer_of(turn["a"])
            elif not (isinstance(turn.get("e"), list) and isinstance(turn["e"][0], str)):
                raise ValueError("neither an answer nor an error")
            out.append(turn)
        except (TypeError, ValueError, KeyError, IndexError) as e:
            logger.info("dropped a saved turn that cannot be shown: %s", e)
    return out


def searched_history(turns: list[dict]) -> list[str]:
    """What the answered questions searched, oldest first: the context of a follow-up."""
    return [t.get("s") or t["q"] for t in turns if "a" in t]


def error_text(turn: dict, t: dict) -> str:
    key, args = turn["e"][0], dict(turn["e"][1] or {})
    if key == "raw":
        return str(args.get("text", ""))
    try:
        return t[key].format(**args)
    except (KeyError, IndexError, ValueError):
        return t["unexpected"].format(kind=key)


def history_html(turns: list[dict], t: dict) -> list[dict]:
    """The chat's messages for these turns, in the language of `t`."""
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": user_html(turn["q"])})
        if "a" in turn:
            content = answer_html(answer_of(turn["a"]), t)
        else:
            content = message_html(f"{t['error']}: {error_text(turn, t)}", "error")
        messages.append({"role": "assistant", "content": content})
    return messages


# ---- the library -----------------------------------------------------------------------------
def valid_library(library) -> dict:
    """The library as the browser sent it, checked (anything unusable starts a new one)."""
    if not isinstance(library, dict) or not isinstance(library.get("conversations"), list):
        return new_library()
    conversations = []
    for c in library["conversations"][:MAX_SAVED]:
        if isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"]:
            conversations.append(
                {
                    "id": c["id"][:32],
                    "title": str(c.get("title", ""))[:MAX_TITLE],
                    "updated": str(c.get("updated", ""))[:32],
                    "turns": c.get("turns") if isinstance(c.get("turns"), list) else [],
                }
            )
    lang = library.get("lang") if library.get("lang") in ("vi", "en") else ""
    current = library.get("current") if isinstance(library.get("current"), str) else ""
    return {"current": current, "lang": lang, "conversations": conversations}


def find(library: dict, conversation_id: str) -> dict | None:
    return next((c for c in library["conversations"] if c["id"] == conversation_id), None)


def save(library: dict, conversation_id: str, turns: list[dict], now: datetime | None = None) -> dict:
    """The library with this conversation saved first (newest), within the bounds."""
    now = now or datetime.now()
    others = [c for c in library["conversations"] if c["id"] != conversation_id]
    if not turns:
        return {**library, "current": conversation_id, "conversations": others}
    first = turns[0]["q"]
    title = first if len(first) <= MAX_TITLE else first[: MAX_TITLE - 1] + "…"
    mine = {"id": conversation_id, "title": title, "updated": now.isoformat(timespec="minutes"), "turns": turns}
    conversations = [mine] + others[: MAX_SAVED - 1]
    while len(conversations) > 1 and len(json.dumps(conversations, ensure_ascii=False)) > MAX_SAVED_CHARS:
        conversations.pop()
    return {**library, "current": conversation_id, "conversations": conversations}


def remove(library: dict, conversation_id: str) -> dict:
    others = [c for c in library["conversations"] if c["id"] != conversation_id]
    return {**library, "current": "", "conversations": others}


def choices(library: dict) -> list[tuple[str, str]]:
    """(label, id) of the saved conversations, newest first: "title · 2024-05-01 14:30"."""
    return [(f"{c['title']} · {c['updated'].replace('T', ' ')}", c["id"]) for c in library["conversations"]]


# ---- export --------------------------------------------------------------------------------
def markdown(turns: list[dict], t: dict, now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer with [n] markers, and its sources
    (title, date, link or file, the cited sentences quoted)."""
    now = now or datetime.now()
    lines = [f"# {t['export_title']}", "", f"_{t['exported']}: {now.isoformat(timespec='minutes').replace('T', ' ')}_"]
    for turn in turns:
        lines += ["", f"## {t['you']}: {_one_line(turn['q'])}", ""]
        if "e" in turn:
            lines.append(f"> {t['error']}: {_one_line(error_text(turn, t))}")
            continue
        answer = answer_of(turn["a"])
        if answer.searched:
            lines += [f"_{t['searched']} {_one_line(answer.searched)}_", ""]
        if answer.claims:
            lines.append(" ".join(c.text.strip() + "".join(f" [{n}]" for n in c.cited) for c in answer.claims))
        else:
            lines.append(t["not_found"])
        if answer.sources:
            lines += ["", f"**{t['sources']}**", ""]
        for s in answer.sources:
            meta = ", ".join(x for x in (s.byline, display_date(s.date, t)) if x)
            where = s.url or (f"{t['file']}: {file_name(s.source)}" if s.source else "")
            lines.append(
                f"{s.number}. {_one_line(s.title or s.article_id)}"
                + (f" ({_one_line(meta)})" if meta else "")
                + (f" — {where}" if where else "")
            )
            for a, b in s.highlights:
                lines.append(f"   > {_one_line(s.text[a:b])}")
    return "\n".join(lines).strip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
