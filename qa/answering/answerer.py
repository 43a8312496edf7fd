"""The rules' answerer (NEWSQA_ANSWERER=rules) and the sentence ranking the default reader answerer
(`qa.answering.reader_answerer`) shares: picks the sentences of the retrieved passages that answer
the question.

No LLM: every word of an answer is the article's own. Each sentence is scored by its contextual
vector (stored at ingest, see `ingest.embedder`) against the question, plus the share of the
question's content syllables it contains. The best sentences become the answer (`qa.answering.answer`
`assemble`), shaped by the question (`qa.question.shape`: all the items of a list, the asked item of an
ordinal question). When the evidence is too weak the answer says the articles do not contain it,
in the question's language, and the closest passages are shown.

The refusal rule (`Thresholds`) is the one calibrated on the seed questions (README); the trained
reader (`qa.answering.reader_answerer`, the default) replaces it with one probability threshold.
"""

import re
from dataclasses import dataclass

from ingest.clean import is_caption
from ingest.normalize import words
from ingest.store import Key
from qa.answering.answer import Answer, assemble, refused
from qa.question.clauses import asked_clause, opens_with_result
from qa.question.conversation import focus_matcher
from qa.question.kinds import (
    FIGURE,
    asked_kind,
    counted_noun,
    counts_noun,
    kind_fit,
    names_country,
    sentence_kinds,
    without_birth_dates,
)
from qa.question.language import EN_FUNCTION_WORDS, is_english, spelt_vietnamese
from qa.question.measures import asked_measure, gives_measure
from qa.question.query import analyse
from qa.question.roles import OTHER, OWN, asks_request, makes_request, opens_with_verb, request_matcher, request_teller
from qa.question.shape import COUNTED_RUN_MIN, arrange, lists_inline, lists_items, may_list, question_shape
from qa.question.translation import vietnamese_words
from qa.retrieval.retriever import Hit, Retrieval

# Vietnamese function words that say little about what a question is about.
VI_STOP = set(
    "la gi nao ai bao nhieu the nao sao co khong duoc cua va cac nhung mot cho voi tu den trong tren "
    "da se dang thi ma de ve o tai nhu nay do kia ra vao".split()
)


@dataclass
class Thresholds:
    """Refusal rule, calibrated on the seed questions (README, "Refusing").

    A Vietnamese question (its syllables exist in the corpus) is answered when the best sentence
    is very close to it, or close and the passage holds most of its content syllables. A
    cross-lingual question has no lexical evidence to lean on and lower cosines overall, so it
    is answered on the sentence cosine alone, against its own threshold.
    """

    vi_dense: float = 0.86
    vi_dense_with_words: float = 0.78
    vi_coverage: float = 0.5
    cross_dense: float = 0.77
    relative: float = 0.97  # further answer sentences must score at least this share of the best
    kind: float = 0.02  # weight of whether a sentence gives the kind of fact asked (qa.question.kinds)
    max_sentences: int = 3


def content_words(question: str) -> list[str]:
    """Folded syllables of the question that say what it is about (function words removed); an
    English question's include the Vietnamese words of its own (`qa.question.translation`)."""
    own = words(question)
    if is_english(question):
        own += [w for vietnamese in vietnamese_words(question) for w in words(vietnamese)]
    return _content(own)


def _content(syllables: list[str]) -> list[str]:
    """The syllables that are not function words, each once, in order."""
    return [w for w in dict.fromkeys(syllables) if w not in VI_STOP and w not in EN_FUNCTION_WORDS]


def sentence_cosine(hit: Hit, s_i: int, query_vector) -> float:
    """Cosine of a passage's sentence (its stored contextual vector) with the question; the
    passage's own cosine when the sentence has no vector."""
    return float(hit.sentence_vectors[s_i] @ query_vector) if s_i < len(hit.sentence_vectors) else hit.dense


def coverage(wanted: list[str], text: str) -> float:
    """Share of `wanted` syllables present in `text`."""
    if not wanted:
        return 0.0
    present = set(words(text))
    return sum(w in present for w in wanted) / len(wanted)


FOCUS_WEIGHT = 0.1  # issue 17: a follow-up's answer leads with the sentence holding its own words


def question_names(question: str) -> list[str]:
    """Runs of capitalised words in a question ("New Zealand", "Quảng Ngãi"), its first word excepted
    unless no Vietnamese syllable is spelt so ("Turabi …?" names Turabi; "Ai …?" names no one); an
    abbreviation before a name is a title, not part of it ("Shanna Swan" of "TS Shanna Swan",
    "Đà Nẵng" of "Sở TN&MT Đà Nẵng": a passage may write "Tiến sĩ" or the name alone)."""
    names, run = [], []
    for i, token in enumerate(re.findall(r"\w+|[^\w\s]", question) + [" "]):
        if (i > 0 or not spelt_vietnamese(token)) and token[0].isalpha() and token[0].isupper():
            run.append(token)
            continue
        while len(run) > 1 and run[0].isupper() and not run[1].isupper():
            run.pop(0)
        if run:
            names.append(" ".join(run))
        run = []
    return names


def missing_names(question: str, passage: str) -> list[str]:
    """Names and numbers of the question that the passage lacks; not the number of items a list question
    asks for ("4 biện pháp nào": an article may list four without writing the figure)."""
    syllables = words(passage)
    have = " " + " ".join(syllables) + " "
    missing = [n for n in question_names(question) if not _named(n, have, syllables)]
    shape = question_shape(question)
    items = str(shape.count) if shape.kind == "list" and shape.count else None
    return missing + [n for n in FIGURE.findall(question) if n not in passage and n != items]


def _named(name: str, have: str, syllables: list[str]) -> bool:
    """Whether a passage (`have`: its folded words joined by spaces, each side too; `syllables`: the
    same as a list) names `name`; a name's foreign words of five letters or more also when spelt a
    letter apart, two from nine letters, a swap of two letters being one ("ARPNET" / "ARPANET",
    "Carslbad" / "Carlsbad", "John Sheeshanks" / "John Sheepshanks"), as a translation or a user may."""
    folded = words(name)
    if " " + " ".join(folded) + " " in have:
        return True
    loose = [len(w) >= 5 and not spelt_vietnamese(w) for w in folded]
    if not folded or not any(loose):
        return False
    unique = set(syllables)
    spellings = [{w, *(v for v in unique if _near(w, v))} if free else {w} for w, free in zip(folded, loose)]
    n = len(folded)
    return any(all(v in ok for v, ok in zip(syllables[i : i + n], spellings)) for i in range(len(syllables) - n + 1))


def _near(a: str, b: str) -> bool:
    """Whether two words are a letter apart (two from nine letters), a swap of two letters being one."""
    most = 1 if len(a) < 9 else 2
    return abs(len(a) - len(b)) <= most and _edits(a, b) <= most


def _edits(a: str, b: str) -> int:
    """The fewest letters inserted, deleted, replaced or swapped with the next to turn `a` into `b`
    (optimal string alignment distance)."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def rank_sentences(
    question: str, retrieval: Retrieval, searched: str = "", kind_weight: float = 0.02, bonus=None
) -> tuple[tuple | None, list[tuple[float, float, int, int]]]:
    """The lead sentence and every sentence of the retrieved passages as (score, cosine, hit index,
    sentence index), best first, the lead first. A sentence scores its stored contextual vector's
    cosine with the question, plus the share of the question's content syllables it holds, its
    passage's cosine, whether it gives the kind of fact asked (a country the question does not name
    gives a place: `qa.question.kinds.names_country`), for a list question that counts its
    items whether it lists that many itself (`qa.question.shape.lists_inline`) and, for a request
    question, whether it is another party's request of the one the question names (`kind_weight` each;
    `qa.question.roles`), whether it holds a follow-up's own words, and
    `bonus(hit index, sentence index)` (the trained reader's score, `qa.answering.reader_answerer`).
    The lead is the best sentence of the best-ranked passage (retrieval ranks passages with dense
    and lexical evidence together, more reliably than one sentence's vector) that is neither a
    photo caption (`ingest.clean.is_caption`), nor one of `retrieval.behind` (an earlier state, for a
    "latest" question), nor, unless the question asks a number, made only of the question's own
    words and figures (`_restates`: a subheading), or for a question in another language than the
    articles any subheading (`_subheading`), unless the passage holds nothing else, or None when that passage has none;
    for a request question whose requester makes no request in that passage, the best sentence of
    the best-ranked passage in which the requester makes one; for a "how many/how much" question
    whose lead gives no quantity (`qa.question.kinds.sentence_kinds`: "sẽ diễn ra ngày 24/4 và xong
    trước ngày 5/5"), a sentence that gives one and ranks higher, from another retrieved passage of
    the same article; for a question asking when, whose lead's only date is a birth date ("Cà Thị Út
    (sinh năm 1996, …)": no date of an event unless a birth is asked, `without_birth_dates`), the
    best-ranked sentence of the same article that gives a date; for a question asking a quantity of a
    measure ("giá bao nhiêu", "dài bao nhiêu": `qa.question.measures.asked_measure`) whose lead writes
    no figure of it, the best-ranked sentence of the same article that writes one ("được neo ở mức
    giá 9,49 triệu đồng"); for a
    question counting a noun ("bao nhiêu em", "có mấy loa": `qa.question.kinds.counted_noun`) whose
    lead writes no count of it the question does not give ("4 khe loa" for "có 4 khe loa nhưng
    thực tế có mấy loa"), the best-ranked sentence of the same article that writes one ("chỉ có 2
    loa"); for a list question counting three items or more ("4 biện pháp nào", "which three
    coaches") whose lead has too few commas, semicolons or "và" to list them (`may_list`), the
    best-ranked sentence of the same article that lists that many (`qa.question.shape.lists_items`:
    "… là Julian Nagelsmann, Max Allegri hay Brendan Rodgers"); for a request question asking no other
    kind of fact ("… khuyên mọi người nên làm gì", "đề nghị … điều gì") whose lead asks, advises or
    obliges no one (`qa.question.roles.makes_request`) and is no item of a directive (it opens with a
    verb: `opens_with_verb`), the best-ranked sentence of the same article that tells the requester's
    request (`request_teller`: "hãy gọi điện …", "… là cần phải có phương án dự phòng")."""
    query = retrieval.query or analyse(question, searched)
    q = retrieval.query_vector
    wanted = content_words(query.searched)
    asked = asked_kind(question)
    follow_up = focus_matcher(question, query.searched)  # issue 17: what a follow-up asks itself
    role = request_matcher(question)
    event_dates = without_birth_dates(question)  # a birth date dates no event
    shape = question_shape(question)
    own_words = set(words(question))
    candidates, own_request, not_leading, fits = [], set(), set(), {}
    for h_i, hit in enumerate(retrieval.hits):
        for s_i, (a, b) in enumerate(hit.sentences):
            text = hit.text[a:b]
            if is_caption(text) or (hit.id, s_i) in retrieval.behind:
                not_leading.add((h_i, s_i))
            # A subheading that repeats the question; across languages the question's own words cannot
            # tell one that does: none leads.
            if asked != "number" and (
                _restates(text, own_words) or (retrieval.english and _subheading(hit.text, a, b))
            ):
                not_leading.add((h_i, s_i))
            cos = sentence_cosine(hit, s_i, q)
            score = cos + 0.05 * coverage(wanted, text) + 0.02 * hit.dense
            kinds = sentence_kinds(event_dates(text) if asked == "date" else text)
            if asked == "place" and names_country(question, text):  # "… đề nghị Singapore và Australia hỗ trợ"
                kinds.add("place")
            fits[(h_i, s_i)] = kind_fit(asked, kinds)
            score += kind_weight * fits[(h_i, s_i)]
            if shape.kind == "list" and shape.count and lists_inline(text, shape.count):  # it lists the counted items
                score += kind_weight
            says = role(text)
            if says == OTHER:  # another party's request of the one the question names
                score -= kind_weight
            elif says == OWN:  # (not ranked higher: the directive's own sentence would outrank its items)
                own_request.add(h_i)
            score += FOCUS_WEIGHT * follow_up(text)  # issue 17: a follow-up's answer leads with it
            if bonus is not None:
                score += bonus(h_i, s_i)
            candidates.append((score, cos, h_i, s_i))
    candidates.sort(key=lambda c: -c[0])
    lead_passage = 0
    if own_request and 0 not in own_request:
        lead_passage = min(own_request)
    in_lead = [c for c in candidates if c[2] == lead_passage]
    lead = next((c for c in in_lead if c[2:] not in not_leading), None) or next(iter(in_lead), None)
    if lead is not None and asked == "number" and fits[lead[2:]] < 0:  # it gives no quantity
        best = lead[0]
        lead = _in_its_article(retrieval, candidates, lead, not_leading, lambda c: c[0] > best and fits[c[2:]] > 0)
    if lead is not None and asked == "date" and fits[lead[2:]] < 0:  # its only date is a birth date
        text = sentence_text(retrieval.hits, lead)
        if event_dates(text) != text:
            lead = _in_its_article(retrieval, candidates, lead, not_leading, lambda c: fits[c[2:]] > 0)
    measure = asked_measure(question)

    def writes_measure(c: tuple) -> bool:
        return gives_measure(sentence_text(retrieval.hits, c), measure)

    if lead is not None and measure is not None and not writes_measure(lead):
        lead = _in_its_article(retrieval, candidates, lead, not_leading, writes_measure)
    noun = counted_noun(question) if measure is None else None

    def counts(c: tuple) -> bool:
        return counts_noun(sentence_text(retrieval.hits, c), noun, question)

    if lead is not None and noun is not None and not counts(lead):
        lead = _in_its_article(retrieval, candidates, lead, not_leading, counts)
    many = shape.count if shape.kind == "list" and (shape.count or 0) >= COUNTED_RUN_MIN else None

    def lists(c: tuple) -> bool:
        return lists_items(sentence_text(retrieval.hits, c), many)

    if lead is not None and many and not may_list(sentence_text(retrieval.hits, lead), many):
        lead = _in_its_article(retrieval, candidates, lead, not_leading, lists)

    if lead is not None and asked is None and asks_request(question):
        text = sentence_text(retrieval.hits, lead)
        if not (makes_request(text) and role(text) != OTHER) and not opens_with_verb(text):
            tells = request_teller(question)
            lead = _in_its_article(
                retrieval, candidates, lead, not_leading, lambda c: tells(sentence_text(retrieval.hits, c))
            )
    if lead is not None:
        candidates.remove(lead)
        candidates.insert(0, lead)
    return lead, candidates


def _subheading(text: str, a: int, b: int) -> bool:
    """Whether `text[a:b]` is a paragraph of its own that does not end as a sentence does (a subheading:
    "Quảng Ngãi xác định 2 trọng tâm phát triển")."""
    alone = (a == 0 or text[a - 1] == "\n") and (b >= len(text.rstrip()) or text[b] == "\n")
    return alone and not text[a:b].rstrip().endswith((".", "!", "?", "…", ":", ";", '"', "\u201d", ")"))


def _restates(sentence: str, question_words: set[str]) -> bool:
    """Whether a sentence says nothing but the question's own (folded) words, figures aside (a subheading
    such as "Quảng Ngãi xác định 2 trọng tâm phát triển" for "… xác định những trọng tâm phát triển nào?")."""
    said = [w for w in _content(words(sentence)) if not w.isdigit()]  # a sentence's own words: no language check
    return bool(said) and all(w in question_words for w in said)


def _in_its_article(retrieval: Retrieval, candidates: list, lead: tuple, not_leading: set, gives) -> tuple:
    """The best-ranked of `candidates` from `lead`'s article that may lead and `gives(candidate)`;
    `lead` when there is none."""
    article = retrieval.hits[lead[2]].meta.get(Key.ARTICLE_ID)
    return next(
        (
            c
            for c in candidates
            if c[2:] not in not_leading and retrieval.hits[c[2]].meta.get(Key.ARTICLE_ID) == article and gives(c)
        ),
        lead,
    )


def sentence_text(hits: list[Hit], candidate: tuple) -> str:
    """The text of a ranked sentence ((score, cosine, hit index, sentence index))."""
    hit = hits[candidate[2]]
    a, b = hit.sentences[candidate[3]]
    return hit.text[a:b]


def choose(question: str, candidates: list, hits: list[Hit], max_sentences: int, relative: float) -> list:
    """The answer's sentences (keys) from ranked `candidates`, the first one first: the question's
    shape decides (`qa.question.shape`: all the items of a list, the asked item of an ordinal
    question); otherwise the further sentences that score within `relative` of the best."""
    best = candidates[0]
    margin = (1 - relative) * abs(best[0])
    shape = question_shape(question)
    if shape.kind != "single":
        return arrange(shape, [(c[2:], c[0]) for c in candidates], hits, max_sentences, margin)
    keys = [best[2:]]
    for c in candidates[1:]:
        if len(keys) >= max_sentences or c[0] < best[0] - margin:
            break
        keys.append(c[2:])
    return with_speaker_after(question, with_cause_before(question, keys, hits), hits)


def with_cause_before(question: str, keys: list, hits: list[Hit]) -> list:
    """For a question asking why, whose first sentence opens with a result word ("Chính vì vậy, …",
    "Do đó, …"): the sentence before it first, in the same claim (it says the cause the result word
    points back to; alone, the first sentence would answer "why" with "because of that")."""
    if not keys or asked_clause(question) != "reason":
        return keys
    h_i, s_i = keys[0]
    hit = hits[h_i]
    a, b = hit.sentences[s_i]
    if s_i == 0 or not opens_with_result(hit.text[a:b]):
        return keys
    before = (h_i, s_i - 1)
    return [before, keys[0], *[k for k in keys[1:] if k != before]]


def with_speaker_after(question: str, keys: list, hits: list[Hit]) -> list:
    """For a question asking a person whose first sentence begins a quotation it does not close
    ("Chúng tôi tin rằng …" for "Ai cho rằng …?"): the sentences that follow, up to the one that closes
    it, in the same claim (news names the speaker after the quote: "…", nhà nghiên cứu X nói)."""
    if not keys or asked_kind(question) != "person":
        return keys
    h_i, s_i = keys[0]
    hit = hits[h_i]
    if not opens_quote(hit.text[slice(*hit.sentences[s_i])]):
        return keys
    for j in range(s_i + 1, min(s_i + 1 + QUOTE_SENTENCES, len(hit.sentences))):
        if closes_quote(hit.text[slice(*hit.sentences[j])]):
            after = [(h_i, k) for k in range(s_i + 1, j + 1)]
            return [keys[0], *after, *[k for k in keys[1:] if k not in after]]
    return keys


QUOTE_SENTENCES = 3  # a quotation's sentences looked through for its end, after the first


def opens_quote(sentence: str) -> bool:
    """Whether a sentence begins with a quotation it does not close ("\u201cChúng tôi tin rằng …", not
    "Ông A cho hay: \u201c…", whose speaker comes first): more opening curly quotes than closing ones,
    or an odd number of straight quotes."""
    text = sentence.lstrip()
    if not text.startswith(('"', "\u201c")):
        return False
    opened, closed = text.count("\u201c"), text.count("\u201d")
    return opened > closed if opened != closed else text.count('"') % 2 == 1


def closes_quote(sentence: str) -> bool:
    """Whether a sentence closes a quotation it did not open: more closing curly quotes than opening
    ones, or an odd number of straight quotes the first of which closes (after a word or a mark)."""
    opened, closed = sentence.count("\u201c"), sentence.count("\u201d")
    if opened != closed:
        return closed > opened
    at = sentence.find('"')
    return sentence.count('"') % 2 == 1 and at > 0 and not sentence[at - 1].isspace()


class ExtractiveAnswerer:
    def __init__(self, thresholds: Thresholds | None = None):
        self.t = thresholds or Thresholds()

    def answer(self, question: str, retrieval: Retrieval, searched: str = "") -> Answer:
        query = retrieval.query or analyse(question, searched)
        language = query.language
        hits = retrieval.hits
        wanted = content_words(query.searched)
        best, candidates = rank_sentences(question, retrieval, searched, self.t.kind)
        vietnamese = not retrieval.english
        passage_text = hits[best[2]].meta.get(Key.TITLE, "") + "\n" + hits[best[2]].text if best else ""
        passage_coverage = coverage(wanted, passage_text)
        signals = {
            "best_sentence": best[1] if best else 0.0,
            "passage_coverage": passage_coverage,
            "top_dense": hits[0].dense if hits else 0.0,
            "lexical_weight": retrieval.lexical_weight,
        }
        missing = missing_names(question, passage_text) if best is not None and vietnamese else []
        signals["missing_names"] = missing
        if best is None:
            found = False
        elif vietnamese:
            found = not missing and (
                best[1] >= self.t.vi_dense
                or (best[1] >= self.t.vi_dense_with_words and passage_coverage >= self.t.vi_coverage)
            )
        else:
            found = best[1] >= self.t.cross_dense
        if not found:
            return refused(question, hits, language, searched or question, signals)
        keys = choose(question, candidates, hits, self.t.max_sentences, self.t.relative)
        return assemble(question, hits, keys, language, searched or question, signals)
