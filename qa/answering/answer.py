"""What an answer is, and how one is put together (both answerers, `qa.answering.answerer` and
`qa.answering.reader_answerer`, build theirs here).

An answer is a list of claims: each is verbatim text of one source passage (one sentence, or
adjacent sentences of the same passage), citing that source by its number. The UI, the CLI, the
JSON and `plain_text()` all render from the claims; nothing parses answer text. `Answer.answer`
is the plain rendering ("claim [1] claim [2]"), kept for readers of the JSON. A refused answer has
no claims: its text says the articles do not answer, in the question's language, and the closest
passages are listed as related.

A generated answer (`mode` "llm", `qa.generation.llm`) has the same shape: each claim is a sentence the
language model wrote, `cited` the sources it cites, `source`/`start`/`end` the evidence sentence
the verifier (`qa.generation.verify`) found for it, and `verified`/`reason` what the verifier said.
"""

from dataclasses import asdict, dataclass, field

from ingest.normalize import match_key
from ingest.store import Key
from qa.question.shape import SentenceKey, group_adjacent
from qa.retrieval.retriever import Hit

NOT_FOUND = {
    "vi": "Các bài báo đã lập chỉ mục không trả lời câu hỏi này.",
    "en": "The indexed articles do not answer this question.",
}
CLOSEST = {"vi": "Các đoạn gần nhất được liệt kê bên dưới.", "en": "The closest passages are listed below."}
ANSWER_LABEL = {"vi": "Trả lời", "en": "Answer"}


@dataclass
class Source:
    """A numbered source: the passage, where it is in its article, and what in it is cited."""

    number: int
    article_id: str
    title: str
    byline: str
    date: str
    url: str
    source: str
    text: str
    start: int
    end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into `text`
    chunk_id: str = ""
    date_source: str = ""  # how the article's date was found (`ingest.dates`); "" when undated
    duplicates: list[dict] = field(default_factory=list)  # other articles of the same story: id, title, date, url


@dataclass
class Claim:
    """One statement of an answer: verbatim text of a source passage, and where it is in it."""

    text: str
    source: int  # the number [n] of the source it cites
    start: int  # offsets of `text` in that source's passage text (`Source.text`)
    end: int
    confidence: float | None = None  # the reader's probability that it answers (when a reader chose it)
    verified: bool = True  # generated claims: it passed every check of qa.generation.verify (quoted claims always do)
    reason: str = ""  # why it is not verified
    cited: list[int] = field(default_factory=list)  # every [n] it cites; [source] for a quoted claim
    answer_span: dict | None = None  # the phrase that answers: {"start", "end", "text"}, offsets into `text`
    date: str = ""  # the date of the article it comes from (ISO; "" when undated)

    def __post_init__(self):
        if not self.cited and self.source:
            self.cited = [self.source]


UNVERIFIED = "(unverified)"
UNDATED = "undated"


def render_claims(claims: list[Claim], dated: bool = False) -> str:
    """ "claim [1] claim [2]": the answer as plain text (an unverified claim is marked so); `dated`
    (a timeline) puts each claim's date before it."""
    return " ".join(
        (f"{c.date or UNDATED}: " if dated else "")
        + c.text
        + "".join(f" [{n}]" for n in c.cited)
        + ("" if c.verified else f" {UNVERIFIED}")
        for c in claims
    )


@dataclass
class Answer:
    """What the pipeline returns for a question."""

    question: str
    answer: str
    found: bool
    sources: list[Source]  # cited, numbered [1], [2]…
    claims: list[Claim] = field(default_factory=list)  # what the answer says, in order; [] when refused
    related: list[Source] = field(default_factory=list)  # retrieved, not cited
    searched: str = ""  # the question actually searched, when it differs (follow-ups)
    language: str = "en"
    signals: dict = field(default_factory=dict)
    mode: str = "extractive"  # "extractive" (quoted sentences) or "llm" (written by the language model, verified)
    note: str = ""  # what the user should know about how it was answered (a model that failed…)
    time_note: str = ""  # what the question's time was taken as, in its language ("As of April 28, 2021 …")
    as_of: str = ""  # a "latest" answer: the date of the newest article that answers (ISO)
    time: dict = field(default_factory=dict)  # how time was read: kind (window/latest/timeline/after/before), window…

    def to_dict(self) -> dict:
        return asdict(self)

    def phrase(self) -> str:
        """The phrase of the first claim that answers the question ("" when none is marked)."""
        span = self.claims[0].answer_span if self.claims else None
        return span["text"] if span else ""

    def plain_text(self) -> str:
        """The answer with its references, for a report or an e-mail."""
        dated = self.time.get("kind") == "timeline"
        lines = [render_claims(self.claims, dated) if self.claims else self.answer, ""]
        phrase = self.phrase()
        if phrase:
            lines.insert(0, f"{ANSWER_LABEL.get(self.language, ANSWER_LABEL['en'])}: {phrase}")
        if self.time_note:
            lines.insert(0, self.time_note)
        if self.note:
            lines.insert(0, self.note)
        for s in self.sources:
            where = s.url or s.source
            meta = ", ".join(x for x in (s.byline, s.date or UNDATED) if x)
            also = f"; also in {len(s.duplicates)} more articles" if s.duplicates else ""
            lines.append(f"[{s.number}] {s.title} ({meta}{also})" + (f". {where}" if where else ""))
            for a, b in s.highlights:
                lines.append(f"    “{s.text[a:b]}”")
        return "\n".join(lines).strip()


def source_of(hit: Hit, number: int, highlights: list[tuple[int, int]]) -> Source:
    """The numbered Source of a retrieved passage (`highlights`: the cited spans of its text)."""
    m = hit.meta
    return Source(
        number=number,
        article_id=m.get(Key.ARTICLE_ID, ""),
        title=m.get(Key.TITLE, ""),
        byline=m.get(Key.BYLINE, ""),
        date=m.get(Key.DATE, ""),
        url=m.get(Key.URL, ""),
        source=m.get(Key.SOURCE, ""),
        text=hit.text,
        start=int(m.get(Key.START, 0)),
        end=int(m.get(Key.END, 0)),
        score=round(float(hit.dense), 4),
        highlights=highlights,
        chunk_id=hit.id,
        date_source=m.get(Key.DATE_SOURCE, ""),
    )


def refused(question: str, hits: list[Hit], language: str, searched: str, signals: dict) -> Answer:
    """The "not in the articles" answer, with the retrieved passages as the closest ones."""
    return Answer(
        question=question,
        answer=f"{NOT_FOUND[language]} {CLOSEST[language] if hits else ''}".strip(),
        found=False,
        sources=[],
        related=[source_of(h, i + 1, []) for i, h in enumerate(hits)],
        searched=searched if searched != question else "",
        language=language,
        signals=signals,
    )


def assemble(
    question: str,
    hits: list[Hit],
    keys: list[SentenceKey],
    language: str,
    searched: str,
    signals: dict,
    confidence: dict[SentenceKey, float] | None = None,
    phrases: dict[SentenceKey, tuple[int, int]] | None = None,
) -> Answer:
    """The answer made of the chosen sentences (in the order given): a sentence whose text was
    already said (an overlapping passage, a caption its paragraph repeats) is dropped; adjacent
    sentences of one passage become one claim; sources are numbered by retrieval rank ([1] is the
    most relevant passage cited), not by the order the claims cite them. `phrases`: the answer
    phrase found in a sentence (offsets into its passage's text), marked in its claim."""
    kept, seen = [], []
    for key in keys:
        text = _key(hits[key[0]].text, hits[key[0]].sentences[key[1]])
        if any(text in other or other in text for other in seen):
            continue
        seen.append(text)
        kept.append(key)
    groups = group_adjacent(kept)
    numbers = {h_i: n for n, h_i in enumerate(sorted({g[0][0] for g in groups}), 1)}  # by retrieval rank
    highlights: dict[int, list[tuple[int, int]]] = {}
    claims = []
    for group in groups:
        h_i = group[0][0]
        n = numbers[h_i]
        spans = [hits[h_i].sentences[s_i] for _, s_i in group]
        highlights.setdefault(h_i, []).extend(spans)
        a, b = spans[0][0], spans[-1][1]
        best = max((confidence or {}).get(k, -1.0) for k in group)
        claim = Claim(hits[h_i].text[a:b], n, a, b, round(best, 4) if best >= 0 else None)
        for key in group:
            pa, pb = (phrases or {}).get(key, (0, 0))
            if a <= pa < pb <= b:
                claim.answer_span = answer_span(claim.text, pa - a, pb - a)
                break
        claims.append(claim)
    return Answer(
        question=question,
        answer=render_claims(claims),
        found=True,
        sources=[source_of(hits[h_i], n, sorted(highlights[h_i])) for h_i, n in numbers.items()],
        claims=claims,
        related=[source_of(h, 0, []) for i, h in enumerate(hits) if i not in numbers],
        searched=searched if searched != question else "",
        language=language,
        signals=signals,
    )


_EDGE = " \t\n,.;:!?…\"'“”‘’«»()[]"


def answer_span(text: str, start: int, end: int) -> dict | None:
    """{"start", "end", "text"} of text[start:end] without surrounding spaces and punctuation (a closing
    bracket kept when the phrase opens it); None when empty."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE and not (text[end - 1] == ")" and "(" in text[start:end]):
        end -= 1  # a bracket the phrase opened stays: "cảng Sampit (Indonesia)"
    return {"start": start, "end": end, "text": text[start:end]} if end > start else None


def _key(text: str, span: tuple[int, int]) -> str:
    return match_key(text[span[0] : span[1]]).rstrip(".!?…")
