"""The reader answerer: the trained reader (`qa.answering.reader`) helps choose the answer's sentences
and says how sure it is; one threshold on that probability refuses.

1. Cheap: every sentence of the best-ranked passages is ranked by the cosine of its contextual
   vector (stored at ingest) with the question, plus the share of the question's content
   syllables it contains; the windows of consecutive sentences that hold them are read.
2. The reader (a small cross-encoder fine-tuned from the e5 model) reads the question with those
   windows and scores every sentence it reads; a logistic model over the best sentence's scores
   gives the probability that the question is answered (`signals["confidence"]`), compared with one
   threshold (`AnswerSettings.threshold`; by default the reader's, chosen on the news validation set).
3. The answer's sentences are those the rules rank best (`qa.answering.answerer.rank_sentences`) with
   the reader's score added (and, for a question asking a person, a number or a date, whether the
   reader's phrase in the sentence is such a fact: `phrase_fits_read`), the first one from the
   best-ranked passage (for a request question, from the passage where the party it names makes a
   request: `qa.question.roles`); a cross-lingual question whose every retrieved sentence is far from
   it is refused as well, unless the reader is sure enough to make up for the distance (`far_across`),
   and so is a question whose names or numbers no retrieved passage of the first sentence's article
   holds, one that asks a quantity of a measure that no retrieved passage of the first sentence's
   article writes a figure of ("bao nhiêu tuổi", "sâu bao nhiêu mét", "how many grams":
   `qa.question.measures.asked_measure`; another article's figure is another thing's), and one asking
   for a name or a year, a day or a month that the first sentence does not give ("… tên là gì?", "…
   năm nào?": `qa.question.kinds.missing_fact`).
   Adding the reader's score to the rules' ranking chose better first sentences on the news
   validation set than either alone (README, "Refusing"). The answer is shaped by the question
   (`qa.question.shape`) and assembled by `qa.answering.answer.assemble`.
"""

from dataclasses import dataclass

import numpy as np

from ingest.errors import ModelError
from ingest.store import Key
from qa.answering.answer import Answer, assemble, refused
from qa.answering.answerer import (
    choose,
    content_words,
    coverage,
    missing_names,
    opens_quote,
    rank_sentences,
    sentence_cosine,
    sentence_text,
)
from qa.answering.reader import QUERY_PREFIX, QUESTION_TOKENS, pack_windows
from qa.question.conversation import focus_first
from qa.question.kinds import asked_kind, kind_fit, missing_fact, sentence_kinds
from qa.question.measures import asked_measure, gives_measure
from qa.question.phrase import find_phrase, phrase_fits, phrase_kind
from qa.question.query import analyse
from qa.question.shape import inline_items, items_after_intro, question_shape
from qa.question.translation import figures_as_digits
from qa.retrieval.retriever import Hit, Retrieval


@dataclass
class AnswerSettings:
    """How answers are chosen. `threshold` is the one refusal setting: the answerability
    probability (`signals["confidence"]`) a question needs to be answered; None takes the reader's
    default, chosen on the news validation set (`qa/answering/reader_model/reader.json`)."""

    threshold: float | None = None
    passages: int = 3  # the best-ranked passages the reader reads
    candidates: int = 0  # stage 1: sentences (by stored cosine + word overlap) whose windows are read; 0: all
    max_sentences: int = 3
    relative: float = 0.97  # further answer sentences score at least this share of the best
    reader_weight: float = 0.01  # the reader's sentence score (log-odds) added to the rules' ranking
    cross_reader_weight: float = 0.03  # the same for a question in another language than the articles
    # A cross-lingual question whose nearest retrieved sentence is under the floor is refused unless the
    # reader is sure enough to make up for the distance (`far_across`).
    cross_floor: float = 0.766
    cross_even: float = 0.80  # the cosine at which a probability of one half makes even odds …
    cross_slope: float = 50.0  # … and the log-odds one unit of cosine is worth
    phrase_weight: float = 0.02  # +/- as the reader's phrase gives the person, number or date asked, or not


class ReaderAnswerer:
    """The trained-reader answerer (NEWSQA_ANSWERER=reader): the reader's sentence scores join the
    rules' ranking, its answerability probability decides whether to answer (module docstring)."""

    def __init__(self, settings: AnswerSettings | None = None, reader=None):
        self.s = settings or AnswerSettings()
        self._reader = reader

    @property
    def reader(self):
        if self._reader is None:
            from qa.answering.reader import load_reader

            try:
                self._reader = load_reader()
            except Exception as e:  # noqa: BLE001 - any failure means no answers can be chosen
                raise ModelError(
                    f"Could not load the answer reader ({type(e).__name__}: {e}). "
                    "Rebuild it with `newsqa train-reader`."
                ) from e
        return self._reader

    @property
    def threshold(self) -> float:
        return self.s.threshold if self.s.threshold is not None else self.reader.threshold

    def score(self, question: str, hits: list[Hit], query_vector, searched: str = ""):
        """Stage 1 and the reader: {(hit index, sentence index): (reader score, cosine, overlap)} for
        the sentences read, the number of windows read, the best stage-1 cosine, and for each
        sentence read the window read that scored it best (and its index there)."""
        reader = self.reader
        # Issue 17: a follow-up is read first, its context after; an English period in figures, as the
        # articles write it ("nine months" -> "9 months", `figures_as_digits`).
        asked = figures_as_digits(focus_first(question, searched))
        wanted = content_words(asked)
        kind = asked_kind(question)
        read = hits[: self.s.passages]
        stage1 = {}  # (hit index, sentence index) -> (cosine, overlap, kind fit)
        for h_i, hit in enumerate(read):
            for s_i, (a, b) in enumerate(hit.sentences):
                text = hit.text[a:b]
                fit = kind_fit(kind, sentence_kinds(text))
                stage1[(h_i, s_i)] = (sentence_cosine(hit, s_i, query_vector), coverage(wanted, text), fit)
        ranked = sorted(stage1, key=lambda k: -(stage1[k][0] + 0.05 * stage1[k][1]))
        wanted_sentences = set(ranked[: self.s.candidates] if self.s.candidates else ranked)
        q_tokens = len(reader.tokenizer(QUERY_PREFIX + asked, add_special_tokens=False)["input_ids"])
        budget = reader.max_tokens - min(q_tokens, QUESTION_TOKENS) - 7
        windows = []
        for h_i, hit in enumerate(read):
            if not hit.sentences:
                continue
            lengths = reader.token_lengths([hit.text[a:b] for a, b in hit.sentences])
            for w in pack_windows(hit.text, list(hit.sentences), lengths, budget, h_i):
                first = w.key[1]
                if any((h_i, first + j) in wanted_sentences for j in range(len(w.spans))):
                    windows.append(w)
        read_scores: dict[tuple[int, int], float] = {}
        reads = {}  # sentence key -> (the window read that scored it best, its index there)
        for read in reader.score_windows(asked, windows):
            h_i, first = read.window.key
            for j, value in enumerate(read.scores):
                key = (h_i, first + j)
                if np.isfinite(value) and value > read_scores.get(key, -np.inf):
                    read_scores[key] = float(value)
                    reads[key] = (read, j)
        features = {key: (value, *stage1[key]) for key, value in read_scores.items()}
        best_cosine = max((f[0] for f in stage1.values()), default=0.0)
        return features, len(windows), best_cosine, reads

    def answer(self, question: str, retrieval: Retrieval, searched: str = "") -> Answer:
        language = (retrieval.query or analyse(question, searched)).language
        hits = retrieval.hits
        reader = self.reader
        features, n_windows, best_cosine, reads = (
            self.score(question, hits, retrieval.query_vector, searched) if hits else ({}, 0, 0.0, {})
        )
        cross = float(np.clip(1.0 - retrieval.lexical_weight, 0.0, 1.0))
        scores, best, confidence = reader.judge(features, cross)
        # The sentences are ranked as the rules rank them, plus the reader's score of those it read
        # (a sentence it did not read counts as its worst read one); the first one comes from the
        # best-ranked passage.
        # Across languages the rules' word overlap says nothing: the reader's score counts more.
        floor = min(scores.values(), default=0.0)
        weight = self.s.cross_reader_weight if retrieval.english else self.s.reader_weight
        # The answer to a person, a number or a date is a sentence where the reader's phrase is such a
        # fact, not the question's own words ("Ai …?": "Trần Văn Minh", not "Chúng tôi cho rằng…");
        # across languages the reader's phrase is too unreliable to count (README, "Answering and refusing").
        fits = {} if retrieval.english else phrase_fits_read(question, reads)
        first, candidates = rank_sentences(
            question,
            retrieval,
            searched,
            bonus=lambda h_i, s_i: (
                weight * scores.get((h_i, s_i), floor) + self.s.phrase_weight * fits.get((h_i, s_i), 0.0)
            ),
        )
        found = best is not None and first is not None and confidence >= self.threshold
        # A question in another language than the articles leans on the sentence cosine alone; one
        # that is far from every sentence is not about these articles at all, unless the reader is sure.
        nearest = max((hit.sentence for hit in hits), default=0.0)  # the best sentence cosine retrieved
        far = (
            retrieval.english
            and first is not None
            and nearest < self.s.cross_floor
            and far_across(confidence, nearest, self.s.cross_even, self.s.cross_slope)
        )
        # A name or a number of the question that no retrieved passage of the first sentence's article
        # holds: the answer would be about something else ("Thủ tướng New Zealand…" over articles that
        # never name New Zealand; "Ai là chủ tịch của TUMAS?" answered from an article without TUMAS).
        first_text = sentence_text(hits, first) if first is not None else None
        article = hits[first[2]].meta.get(Key.ARTICLE_ID) if first is not None else None
        passages = "\n".join(_title_and_text(h) for h in hits if h.meta.get(Key.ARTICLE_ID) == article)
        absent = [] if retrieval.english else missing_names(question, passages)
        # A quantity of a measure ("bao nhiêu tuổi", "how many grams") that the first sentence does not
        # write: no retrieved passage of its article writes one (`rank_sentences` leads with it when one does).
        measure = asked_measure(question)
        no_measure = measure is not None and first_text is not None and not gives_measure(first_text, measure)
        # A name or a day asked for ("… tên là gì?", "… năm nào?") that the first sentence does not give.
        absent_fact = missing_fact(question, first_text) if first_text is not None else None
        signals = {
            "confidence": round(confidence, 4),
            "threshold": self.threshold,
            "best_score": round(scores[best], 3) if best is not None else 0.0,
            "best_sentence": round(best_cosine, 4),  # stage 1: the best stored sentence cosine
            "first_cosine": round(first[1], 4) if first is not None else 0.0,
            "nearest_sentence": round(nearest, 4),  # of every passage retrieved
            "windows_read": n_windows,
            "top_dense": hits[0].dense if hits else 0.0,
            "lexical_weight": retrieval.lexical_weight,
        }
        if far:
            signals["far"] = True
        if absent:
            signals["missing_names"] = absent
        if no_measure:
            signals["missing_measure"] = measure
        if absent_fact:
            signals["missing_fact"] = absent_fact
        if not found or far or absent or no_measure or absent_fact:
            return refused(question, hits, language, searched or question, signals)

        keys = choose(question, candidates, hits, self.s.max_sentences, self.s.relative)
        confidence = {  # per sentence read (a list run may hold items the reader did not read)
            key: reader.answerability(scores[key], features[key][0], features[key][1], cross, features[key][3])
            for key in keys
            if key in scores
        }
        shape = question_shape(question)  # a list: a phrase of several facts of one kind
        # The reader's phrase for other questions ("… là gì?") only in the articles' language: across
        # languages it held the answer for one in five shown (XQuAD validation fold; README).
        other = not retrieval.english
        phrases = {}
        if reader.has_span and shape.kind != "ordinal":
            several = shape.kind == "list"
            phrases = answer_phrases(question, keys, hits, reads, other, several, shape.count if several else None)
        return assemble(question, hits, keys, language, searched or question, signals, confidence, phrases)


def far_across(confidence: float, nearest: float, even: float, slope: float) -> bool:
    """Whether a cross-lingual question under the cosine floor is too far from the articles to answer:
    its log-odds of being answered plus `slope` x (its nearest sentence's cosine - `even`) is below
    zero. One logistic model of the two, fitted on XQuAD en's validation fold, weighs the cosine 54
    log-odds to the unit and gives even odds at 0.80 for a probability of one half: at the floor
    (0.766) the reader must give 0.85, at 0.75 0.93 (README, "A sure reader makes up for a far
    sentence")."""
    p = min(max(confidence, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p))) + slope * (nearest - even) < 0


TYPED_KINDS = ("person", "number", "date")  # facts whose phrase is typed: a name, a figure, a date


def phrase_fits_read(question: str, reads: dict) -> dict:
    """For a question asking a person, a number or a date (`qa.question.phrase.phrase_kind`; the
    kinds whose phrase the patterns recognise: places, organisations and other names are often
    common nouns), each sentence read: +1 when the reader's phrase in it gives that kind of fact and
    is not the question's own words or a pronoun (`phrase_fits`), -1 when it does not; empty for any
    other question."""
    if phrase_kind(question) not in TYPED_KINDS:
        return {}
    out = {}
    for key, (read, j) in reads.items():
        span = read.span(j)
        if span is not None:
            out[key] = 1.0 if phrase_fits(question, read.window.text[span[0] : span[1]].strip()) else -1.0
    return out


def _title_and_text(hit: Hit) -> str:
    return hit.meta.get(Key.TITLE, "") + "\n" + hit.text


def answer_phrases(
    question: str,
    keys,
    hits: list[Hit],
    reads: dict,
    other_questions: bool = True,
    several: bool = False,
    count: int | None = None,
) -> dict:
    """The answer phrase of each chosen sentence (offsets into its passage): from the reader's phrase
    in it, checked and widened, or the clause of a reason or a request (`qa.question.phrase`);
    `other_questions`: also the reader's phrase for a question that asks for none of these;
    `several`: a list question (only facts of one kind, over the items joined to the reader's);
    `count`: the number of items it asks; a sentence listing the items after its count gives them
    whole ("hai ngành … là lọc hóa dầu và luyện kim thép", `qa.question.shape.inline_items`), as does
    one listing that many after "như", "gồm", "là" or a colon (`items_after_intro`). A quote
    followed by its speaker gives no phrase for a question asking a person: the speaker does."""
    out = {}
    speaker = asked_kind(question) == "person"  # a quote's speaker is named after it (`with_speaker_after`)
    for key in keys:
        start, end = hits[key[0]].sentences[key[1]]
        sentence = hits[key[0]].text[start:end]
        if speaker and (key[0], key[1] + 1) in keys and opens_quote(sentence):
            continue
        listed = (inline_items(sentence, count) or items_after_intro(sentence, count)) if several else None
        span = listed or find_phrase(question, sentence, _reader_span(reads.get(key)), other_questions, several)
        if span is not None:
            out[key] = (start + span[0], start + span[1])
    return out


def _reader_span(read_at) -> tuple[int, int] | None:
    """The reader's phrase in a sentence it read (offsets into the sentence), None when it read none."""
    if read_at is None:
        return None
    read, j = read_at
    span = read.span(j)
    if span is None:
        return None
    a, b = read.window.spans[j]
    return max(span[0] - a, 0), min(span[1] - a, b - a)
