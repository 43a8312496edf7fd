"""News-aware answering: the step `Pipeline.ask` runs around retrieval and the answerer.

The question's time (`qa.question.time_scope.read_time`, relative to the newest indexed article) decides
(an index where no article is dated, such as XQuAD's paragraphs, answers date-blind):
- none: retrieval and the answerer as always;
- a date or period ("ngày 26/4/2021", "tuần trước"): the passages of articles dated in it, and
  passages of other articles that name it ("Ngày 26/4, …" in an article of 27/4), ranked together
  by retrieval's score, are what the answerer reads. When no article is dated in it and none names
  it, the question is refused with the nearest dates the articles do cover;
- "latest" ("hiện nay", "currently"): among the articles retrieval finds relevant (a passage
  scoring at least `RELEVANT` of the best), the newest that answers; the answer says "as of DATE";
- a timeline ("diễn biến…", "how did … change"): the first claim of each relevant article that
  answers, one article per date, in date order, each with its date and citation;
- after/before an event ("phiên liền sau …", "right before …"): the event's date is that of the
  best article about it (or the date it names); the answer comes from the first article after it
  (the last before it) that answers.
Near-duplicate stories (`ingest.stories`) are collapsed first: one article per story is read, its
source lists the others ("also in N articles"), so no fact is cited twice from two copies. Every
claim carries its article's date; `Answer.time` and `Answer.time_note` say how time was read.
"""

import logging
import threading
from dataclasses import dataclass, replace
from datetime import date

from ingest.normalize import fold
from ingest.store import Key
from ingest.stories import StoryGroups
from qa.answering.answer import NOT_FOUND, Answer, Claim, refused, render_claims, source_of
from qa.answering.time_text import TEXT, has_name, names, without
from qa.question.query import Filters, Query, analyse
from qa.question.shape import cut_enumerations, question_shape
from qa.question.time_scope import (
    TimeScope,
    Window,
    earlier_told,
    mentions,
    read_time,
    show_date,
    show_window,
)
from qa.retrieval.retriever import Hit, Retrieval

logger = logging.getLogger(__name__)

RELEVANT = 0.85  # an article is relevant to a "latest"/after/before question when its best passage scores this share of the best
TIMELINE_RELEVANT = 0.8  # ... to a timeline question
TRIES = 4  # articles tried, newest first, for a "latest" answer
TIMELINE_ENTRIES = 6  # dated claims in a timeline at most
WIDE = 3  # a question naming a date retrieves WIDE * k passages to choose among
CHOOSE = 30  # a "latest", timeline or after/before question: passages whose articles are compared


@dataclass
class _Catalogue:
    """What the registry says about dates and stories, read again when the index changes."""

    infos: dict
    stories: StoryGroups
    days: list[str]  # sorted ISO dates of the articles


class Temporal:
    """Answers a `Query` with time taken into account (module docstring). `pipeline` gives the
    index, the search, the answerer and (with NEWSQA_LLM) the generative answerer."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self._version: tuple | None = None
        self._catalogue = _Catalogue({}, StoryGroups([]), [])
        self._refreshing = threading.Lock()

    # ---- the registry ----------------------------------------------------------------------
    @property
    def catalogue(self) -> _Catalogue:
        index = self.pipeline.index
        version = (index.store_id, index.generation())
        if version == self._version:
            return self._catalogue
        with self._refreshing:  # one chat worker reads the registry; the others wait for it
            if version != self._version:
                infos = index.registry()
                stories = self._catalogue.stories  # updated: only new or changed articles are paired again
                stories.update((i.id, i.minhash, i.date, i.figures) for i in infos.values())
                self._catalogue = _Catalogue(infos, stories, sorted({i.date for i in infos.values() if i.date}))
                self._version = version
        return self._catalogue

    def newest(self) -> date | None:
        """The newest indexed article's date: what "today", "last week"… are taken relative to."""
        days = self.catalogue.days
        return date.fromisoformat(days[-1]) if days else None

    # ---- answering -------------------------------------------------------------------------
    def answer(
        self, query: Query, k: int, retrieval: Retrieval | None = None, on_token=None, time_aware=True
    ) -> Answer:
        """The answer to `query` from `k` passages (`retrieval`: passages already retrieved for it,
        used when the question names no time); `time_aware=False` ignores time (date-blind)."""
        newest = self.newest()
        # an index where no article is dated answers date-blind: no date to pick, nothing to be relative to
        scope = read_time(query.question, newest) if time_aware and newest else TimeScope()
        scope.phrases = tuple(w.phrase for w in scope.windows) + scope.words
        if scope.event_phrase:  # the event chose the date; what is asked is the rest of the question
            scope.phrases += (scope.event_phrase,)
        anchor_windows = [w for w in scope.windows if scope.direction and w.phrase in scope.anchor]
        if anchor_windows:
            scope.windows = [w for w in scope.windows if w not in anchor_windows]
        if scope.direction:
            return self._around_event(query, k, scope, anchor_windows)
        if scope.timeline:
            return self._timeline(query, k, scope)
        if scope.latest:
            return self._latest(query, k, scope)
        if scope.window is not None:
            return self._in_window(query, k, scope, on_token)
        if retrieval is None or len(retrieval.hits) < k:
            retrieval = self._search(query, 2 * k)  # room for the copies collapsed below
        return self._finish(self._respond(query, self._collapse(retrieval, k), on_token), {"kind": "none"})

    def _search(self, query: Query, n: int, window: Window | None = None) -> Retrieval:
        if window is not None:
            f = query.filters
            lo, hi = window.days
            query = replace(
                query,
                filters=Filters(
                    article_ids=list(f.article_ids),
                    day_from=max(lo, f.day_from or 0),
                    day_to=min(hi, f.day_to) if f.day_to else hi,
                ),
            )
        return self.pipeline.search.search(query, n)

    def _collapse(self, retrieval: Retrieval, k: int | None = None) -> Retrieval:
        """Passages of one article per story: a copy's passages are dropped for the story's best-ranked article."""
        stories = self.catalogue.stories
        chosen: dict[str, str] = {}
        hits = []
        for h in retrieval.hits:
            article = h.meta.get(Key.ARTICLE_ID, "")
            if chosen.setdefault(stories.story(article), article) == article:
                hits.append(h)
        return replace(retrieval, hits=hits[:k] if k else hits)

    def _respond(
        self, query: Query, retrieval: Retrieval, on_token=None, quoted: bool = False, phrases: tuple[str, ...] = ()
    ) -> Answer:
        """The answerer's answer from `retrieval`. The time `phrases` the step has used ("ngày
        24/4/2021", "hiện nay", "ngay sau khi …") are taken out of the question and of the searched
        words the answerer ranks sentences by: they chose the articles; an article that says "hôm
        nay" does not repeat the date it was written on (the rules answerer refuses a passage that
        lacks a number of the question), and a sentence that repeats the date ("Ngày 19/4, ông
        Trump đã trả lời phỏng vấn…") is not the answer just because it names that day."""
        question, searched = query.question, query.searched
        if phrases:
            question = without(question, phrases)
            searched = without(searched, phrases)
            stripped = replace(analyse(question, searched, query.filters), language=query.language)
            retrieval = replace(retrieval, query=stripped)
        if question_shape(question).kind != "single":  # a list or one item of it: read enumerations whole
            retrieval = self.pipeline.search.with_neighbours(retrieval, cut_enumerations(retrieval.hits))
        generative = self.pipeline.generative
        if generative is not None and not quoted:
            answer = generative.answer(question, retrieval, searched=searched, on_token=on_token)
        else:
            answer = self.pipeline.answerer.answer(question, retrieval, searched=searched)
        answer.question = query.question
        answer.searched = query.searched if query.searched != query.question else ""
        return answer

    def _finish(self, answer: Answer, time: dict, note: str = "", as_of: str = "") -> Answer:
        """Dates on claims, duplicates on sources, and what was understood of time."""
        catalogue = self.catalogue
        for s in [*answer.sources, *answer.related]:
            s.duplicates = [
                {"id": o, "title": info.title, "date": info.date, "url": info.url}
                for o in catalogue.stories.others(s.article_id)
                if (info := catalogue.infos.get(o)) is not None
            ]
        dates = {s.number: s.date for s in answer.sources}
        for c in answer.claims:
            c.date = dates.get(c.source, "")
        answer.time = time
        answer.time_note = note
        answer.as_of = as_of
        if as_of and answer.found:
            answer.answer = (
                f"{TEXT[answer.language]['as_of'].format(date=show_date(as_of, answer.language))}: {answer.answer}"
            )
        return answer

    # ---- a date or period --------------------------------------------------------------------
    def _window_note(self, scope: TimeScope, window: Window, language: str) -> str:
        t = TEXT[language]
        shown = show_window(window, language)
        if window.relative:
            return t["relative"].format(
                phrase=window.phrase, newest=show_date(str(scope.today), language), window=shown
            )
        year = "" if window.year_given else t["year"].format(year=window.start.year)
        return t["window"].format(window=shown, year=year)

    def _candidates(self, query: Query, n: int, window: Window | None) -> tuple[Retrieval, bool]:
        """The `n` best passages for a question (one article per story), and whether any article is
        dated in `window`. With a window: passages of articles dated in it, and passages of any
        article that name it (a question's "năm 2020" may be the year of what is told, not of the
        article), ranked together by retrieval's score."""
        wide = self._collapse(self._search(query, max(n, WIDE * self.pipeline.settings.k)))
        if window is None:
            return replace(wide, hits=wide.hits[:n]), True
        naming = [h for h in wide.hits if mentions(h.meta.get(Key.TITLE, "") + "\n" + h.text, window)]
        covered = any(window.covers(d) for d in self.catalogue.days)
        dated = self._search(query, n, window).hits if covered else []
        hits = sorted({h.id: h for h in [*dated, *naming]}.values(), key=lambda h: -h.score)
        return self._collapse(replace(wide, hits=hits), n), covered

    def _in_window(self, query: Query, k: int, scope: TimeScope, on_token=None) -> Answer:
        window = scope.window
        language = query.language
        time = {
            "kind": "window",
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "phrase": window.phrase,
        }
        retrieval, covered = self._candidates(query, k, window)
        time["covered"] = covered
        note = self._window_note(scope, window, language)
        if not retrieval.hits:
            wide = self._collapse(self._search(query, k))
            answer = refused(query.question, wide.hits, language, query.searched, {"uncovered": True})
            uncovered = TEXT[language]["uncovered"].format(window=show_window(window, language))
            answer.answer = f"{NOT_FOUND[language]} {uncovered}{self._nearby(window, wide.hits, language)}"
            time["uncovered"] = True
            return self._finish(answer, time, note)
        answer = self._respond(query, retrieval, on_token, phrases=scope.phrases)
        if not answer.found:
            note += self._nearby(window, retrieval.hits, language)
        return self._finish(answer, time, note)

    def _nearby(self, window: Window, hits: list[Hit], language: str) -> str:
        """ " The nearest dates the articles cover: …": the closest covered days before and after the
        window, and the dates of the closest articles on the question's topic."""
        days = self.catalogue.days
        lo, hi = window.start.isoformat(), window.end.isoformat()
        before = [d for d in days if d < lo][-1:]
        after = [d for d in days if d > hi][:1]
        topic = [h.meta.get(Key.DATE, "") for h in hits[:3]]
        shown = sorted({d for d in [*before, *after, *topic] if d})
        if not shown:
            return ""
        return TEXT[language]["nearby"].format(dates=", ".join(show_date(d, language) for d in shown))

    # ---- latest, after/before an event ----------------------------------------------------------
    def _relevant(self, query: Query, retrieval: Retrieval, share: float) -> list[tuple[str, list[Hit]]]:
        """(article id, its hits) of the articles relevant to the question, best first: their best
        passage scores `share` of the best, and their passages (with the title) name every name
        of the question ("Huawei", "Mourinho": a "latest" or timeline question about one subject
        must not take in a newer article about another one that scores about as well; names the
        best article lacks, such as an English name for a Vietnamese article's subject, are not
        asked for)."""
        if not retrieval.hits:
            return []
        top = retrieval.hits[0].score
        by_article: dict[str, list[Hit]] = {}
        for h in retrieval.hits:
            by_article.setdefault(h.meta.get(Key.ARTICLE_ID, ""), []).append(h)
        texts = {
            a: fold(hs[0].meta.get(Key.TITLE, "") + " " + " ".join(h.text for h in hs)) for a, hs in by_article.items()
        }
        best = texts[next(iter(by_article))]
        # the names the best article has (an English name of a Vietnamese article's subject is not required)
        wanted = [n for n in map(fold, names(query.question)) if has_name(best, n)]
        return [
            (a, hs)
            for a, hs in by_article.items()
            if hs[0].score >= share * top and all(has_name(texts[a], n) for n in wanted)
        ]

    def _first_answering(
        self,
        query: Query,
        k: int,
        wide: Retrieval,
        articles: list[tuple[str, list[Hit]]],
        scope: TimeScope,
        latest: bool = False,
    ):
        """The first of `articles` whose passages answer: (answer, the article's date); (None, "") when
        none does. With `latest`, a sentence that tells an earlier state than its passage does does
        not lead the answer (`qa.question.time_scope.earlier_told`)."""
        for article, hits in articles[:TRIES]:
            # only that article is read, so that every claim is of its date; the others are listed as related
            retrieval = self._read_article(query, article, hits, k, scope)
            if latest:
                retrieval = replace(retrieval, behind=_earlier_sentences(retrieval.hits))
            answer = self._respond(query, retrieval, phrases=scope.phrases)
            if answer.found and answer.claims:
                shown = {s.chunk_id for s in [*answer.sources, *answer.related]}
                answer.related += [source_of(h, 0, []) for h in wide.hits[:k] if h.id not in shown]
                return answer, hits[0].meta.get(Key.DATE, "")
        return None, ""

    def _read_article(self, query: Query, article: str, hits: list[Hit], k: int, scope: TimeScope) -> Retrieval:
        """One article's passages, ranked for what is asked once the time words are taken out ("hiện
        nay", "diễn biến", "ngay sau khi …": they chose the article, they are not what its answer says)."""
        asked = without(query.question, scope.phrases)
        only = Filters(article_ids=[article])
        retrieval = self.pipeline.search.search(replace(analyse(asked, filters=only), language=query.language), k)
        return retrieval if retrieval.hits else Retrieval(hits=hits[:k], query_vector=None, lexical_weight=0.0)

    def _latest(self, query: Query, k: int, scope: TimeScope) -> Answer:
        wide, _ = self._candidates(query, max(CHOOSE, k), scope.window)
        articles = self._relevant(query, wide, RELEVANT)
        newest_first = sorted(articles, key=lambda a: a[1][0].meta.get(Key.DATE, ""), reverse=True)
        answer, as_of = self._first_answering(query, k, wide, newest_first, scope, latest=True)
        if answer is None:
            answer = self._respond(query, replace(wide, hits=wide.hits[:k]), phrases=scope.phrases)
            as_of = answer.sources[0].date if answer.found and answer.sources else ""
        time = {"kind": "latest", "as_of": as_of}
        note = TEXT[query.language]["as_of_note"].format(date=show_date(as_of, query.language)) if as_of else ""
        if scope.window is not None:
            note = f"{self._window_note(scope, scope.window, query.language)} {note}".strip()
        return self._finish(answer, time, note, as_of if answer.found else "")

    def _around_event(self, query: Query, k: int, scope: TimeScope, anchor_windows: list[Window]) -> Answer:
        language = query.language
        t = TEXT[language]
        if anchor_windows:
            when, title = anchor_windows[0].start.isoformat(), anchor_windows[0].phrase
        else:
            event = self.pipeline.search.search(analyse(scope.anchor, filters=query.filters), 3)
            dated = [h for h in event.hits if h.meta.get(Key.DATE)]
            when = dated[0].meta[Key.DATE] if dated else ""
            title = dated[0].meta.get(Key.TITLE, "") if dated else ""
        wide, _ = self._candidates(query, max(CHOOSE, k), scope.window)
        if not when:
            answer = self._respond(query, replace(wide, hits=wide.hits[:k]), phrases=scope.phrases)
            return self._finish(answer, {"kind": scope.direction}, t["undated_event"].format(anchor=scope.anchor))
        articles = [
            a
            for a in self._relevant(query, wide, RELEVANT)
            if (d := a[1][0].meta.get(Key.DATE, "")) and (d > when if scope.direction == "after" else d < when)
        ]
        articles.sort(key=lambda a: a[1][0].meta.get(Key.DATE, ""), reverse=scope.direction == "before")
        answer, _ = self._first_answering(query, k, wide, articles, scope)
        if answer is None:
            answer = refused(
                query.question, wide.hits[:k], language, query.searched, {"no_article_" + scope.direction: when}
            )
        time = {"kind": scope.direction, "event": scope.anchor, "event_date": when}
        note = t[scope.direction].format(anchor=scope.anchor, date=show_date(when, language), title=title)
        return self._finish(answer, time, note)

    # ---- timelines -------------------------------------------------------------------------------
    def _timeline(self, query: Query, k: int, scope: TimeScope) -> Answer:
        language = query.language
        wide, _ = self._candidates(query, max(CHOOSE, k), scope.window)
        entries: list[tuple[str, Answer]] = []
        days: set[str] = set()
        for article, hits in self._relevant(query, wide, TIMELINE_RELEVANT):
            day = hits[0].meta.get(Key.DATE, "")
            if not day or day in days:
                continue
            sub = self._respond(
                query, self._read_article(query, article, hits, k, scope), quoted=True, phrases=scope.phrases
            )
            if sub.found and sub.claims:
                entries.append((day, sub))
                days.add(day)
            if len(entries) >= TIMELINE_ENTRIES:
                break
        if len(entries) < 2:  # one date: an ordinary answer (with its date)
            if scope.window is not None:
                return self._in_window(query, k, scope)
            answer = self._respond(query, replace(wide, hits=wide.hits[:k]), phrases=scope.phrases)
            return self._finish(answer, {"kind": "timeline", "entries": len(entries)})
        entries.sort(key=lambda e: e[0])
        claims, sources, used = [], [], set()
        for n, (day, sub) in enumerate(entries, 1):
            first = sub.claims[0]
            src = replace(sub.sources[first.source - 1], number=n, highlights=[(first.start, first.end)])
            claims.append(Claim(first.text, n, first.start, first.end, first.confidence, date=day))
            sources.append(src)
            used.add(src.chunk_id)
        related = [source_of(h, 0, []) for h in wide.hits[:k] if h.id not in used]
        answer = Answer(
            question=query.question,
            answer=render_claims(claims, dated=True),
            found=True,
            sources=sources,
            claims=claims,
            related=related,
            searched=query.searched if query.searched != query.question else "",
            language=language,
            signals={"timeline": [e[0] for e in entries]},
        )
        note = TEXT[language]["timeline"].format(
            n=len(entries), first=show_date(entries[0][0], language), last=show_date(entries[-1][0], language)
        )
        if scope.window is not None:
            note = f"{self._window_note(scope, scope.window, language)} {note}"
        return self._finish(answer, {"kind": "timeline", "dates": [e[0] for e in entries]}, note)


def _earlier_sentences(hits: list[Hit]) -> frozenset[tuple[str, int]]:
    """(hit id, sentence index) of the sentences that tell an earlier state than their passage does."""
    return frozenset(
        (h.id, i)
        for h in hits
        for i, earlier in enumerate(earlier_told([h.text[a:b] for a, b in h.sentences], h.meta.get(Key.DATE, "")))
        if earlier
    )
