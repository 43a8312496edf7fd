"""The question sets `newsqa eval` measures on: the seed questions (and any file in their format)
over a folder of articles, XQuAD's Vietnamese paragraphs with its Vietnamese or English questions,
probes (a question asked with its own article filtered out), the tempting unanswerable questions
of `tests/data/tempting_questions.jsonl` and the follow-up pairs of `tests/data/followups.jsonl`
(a question asked after an earlier one, as in a chat). Also the rule for `first`: whether an answer's first
claim holds the gold text."""

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.normalize import match_key, normalize
from ingest.readers import Article

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ("seed", "news", "xquad-vi", "xquad-en", "followups")
TEMPTING = ROOT / "tests" / "data" / "tempting_questions.jsonl"
FOLLOWUPS = ROOT / "tests" / "data" / "followups.jsonl"
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass
class Question:
    id: str
    text: str
    lang: str
    kind: str
    evidence: list[str]  # match_key'd
    need_all: bool  # seed format: every evidence string; XQuAD: any gold answer
    article: str | None = None  # the article that answers it
    probe: bool = False  # asked with its own article filtered out: must be refused
    answers: list[str] = field(default_factory=list)  # the short answer phrase(s), match_key'd (news, XQuAD)
    previous: list[str] = field(default_factory=list)  # follow-ups: the questions asked before it, oldest first

    @property
    def answerable(self) -> bool:
        return bool(self.evidence) and not self.probe

    def hit(self, text: str) -> bool:
        if not self.evidence:
            return False
        key = match_key(text)
        found = (e in key for e in self.evidence)
        return all(found) if self.need_all else any(found)

    def first(self, claim: str | None) -> bool:
        """Whether an answer's first claim holds the answer (rule in the module docstring)."""
        if not self.evidence or not claim:
            return False
        key = match_key(claim)
        if any(e in key for e in self.evidence):
            return True
        if not self.need_all:
            return False
        key = _bare(key)
        return bool(key) and any(
            key in e and (2 * len(key) >= len(e) or key in map(_bare, _SENTENCE_END.split(e))) for e in self.evidence
        )

    def phrase(self, span: str | None) -> bool:
        """Whether a marked answer phrase is right: a gold answer inside it, or it inside a gold answer
        (at least half as long, so a lone syllable of a long answer does not count). A list's gold
        answer gives its items apart ("Mỹ; Ấn Độ; Brazil"): it is inside a phrase that holds every
        item, however the sentence joins them ("Mỹ, Ấn Độ và Brazil")."""
        if not self.answers or not span:
            return False
        key = _bare(match_key(span))
        return bool(key) and any(
            a in key or (key in a and 2 * len(key) >= len(a)) or _all_items_in(a, key) for a in self.answers
        )


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _all_items_in(answer: str, key: str) -> bool:
    items = [_bare(item) for item in answer.split(";")]
    return len(items) > 1 and all(item and item in key for item in items)


def _bare(key: str) -> str:
    return key.strip(" .!?…;:,\"'“”‘’«»()[]")


def first_claim(answer: str) -> str:
    """The text before the first ` [n]` citation marker (all of it when there is none)."""
    return _MARKER.split(answer, maxsplit=1)[0].strip()


@dataclass
class Dataset:
    name: str
    articles: list[Article]
    questions: list[Question]
    corpus: str  # what the index is built from (datasets with the same corpus share one index)


# ---- datasets ------------------------------------------------------------------------------
def default_shared() -> Path:
    for folder in (Path.cwd().parent / "shared", ROOT.parent / "shared"):
        if folder.exists():
            return folder
    return ROOT.parent / "shared"


def read_questions(path: Path) -> list[Question]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        evidence = [match_key(e) for e in item.get("evidence") or [] if e.strip()]
        questions.append(
            Question(
                id=str(item.get("id", n)),
                text=item["question"],
                lang=item.get("lang", ""),
                kind=item.get("kind", "") or ("factoid" if evidence else "unanswerable"),
                evidence=evidence,
                need_all=True,
                article=item.get("article"),
            )
        )
    return questions


def tempting_questions(corpus: str, langs: tuple[str, ...], articles: list[Article]) -> list[Question]:
    """The tempting unanswerable questions (`TEMPTING`) of one corpus ("seed" or "xquad") in `langs`,
    those about articles that `articles` has."""
    if not TEMPTING.exists():
        return []
    have = {a.id for a in articles}
    rows = [json.loads(line) for line in TEMPTING.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Question(r["id"], r["question"], r["lang"], "tempting", [], True, r["article"])
        for r in rows
        if r.get("corpus") == corpus and r["lang"] in langs and r["article"] in have
    ]


def file_dataset(name: str, questions: Path, corpus: Path, tempting: bool | None = None) -> Dataset:
    """Questions in the seed format over a folder of plain-text articles (title on the first line).
    With `tempting` (default: when `name` is "seed") the seed-corpus tempting questions are added,
    in both languages, for the articles the folder has."""
    from ingest.readers import find_files, read_file

    files, _ = find_files([corpus])
    articles = [read_file(f) for f in files]
    asked = read_questions(questions)
    if tempting if tempting is not None else name == "seed":
        asked += tempting_questions("seed", ("vi", "en"), articles)
    return Dataset(name, articles, asked, f"files:{corpus.resolve()}")


def xquad_articles(path: Path) -> list[Article]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles = []
    for i, item in enumerate(data):
        title = item.get("title", "").replace("_", " ").strip()
        text = normalize("\n\n".join(p["context"].strip() for p in item["paragraphs"]))
        slug = re.sub(r"[^\w-]+", "-", title).strip("-")[:40]
        articles.append(Article(id=f"xquad-{i:02d}-{slug}", title=title, text=text, source=f"{path.name}#{i}"))
    return articles


def xquad_dataset(
    shared: Path, lang: str, probes: bool = True, tempting: bool = True, fold: str | None = "validation"
) -> Dataset:
    """The Vietnamese XQuAD paragraphs as 48 articles (all of them indexed); the questions in `lang`
    ("vi" or "en") about the articles of `fold` of `train/xquad-folds/folds.json` (the reader trains on
    the `train` fold: report the `validation` one; None: all), then the XQuAD-corpus tempting
    questions in `lang`, then (with `probes`) every question again as a probe."""
    folder = shared / "eval" / "xquad"
    vi = folder / "xquad.vi.json"
    articles = xquad_articles(vi)
    asked = json.loads((folder / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    titles = [
        item.get("title", "") for item in json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    ]
    folds = shared / "train" / "xquad-folds" / "folds.json"
    if fold is not None and not folds.exists():
        fold = None  # no folds file: every question
    if fold is not None:
        fold = set(json.loads(folds.read_text(encoding="utf-8"))[fold])
    # Gold answers are spans of the Vietnamese paragraphs: take them from the vi file, by id.
    gold = {
        qa["id"]: [match_key(a["text"]) for a in qa["answers"] if a["text"].strip()]
        for item in json.loads(vi.read_text(encoding="utf-8"))["data"]
        for p in item["paragraphs"]
        for qa in p["qas"]
    }
    questions = []
    for i, item in enumerate(asked):
        for p in item["paragraphs"]:
            for qa in p["qas"]:
                if fold is not None and titles[i] not in fold:
                    continue
                q = Question(qa["id"], qa["question"], lang, "xquad", gold[qa["id"]], False, articles[i].id)
                q.answers = list(gold[qa["id"]])
                questions.append(q)
    probed = [replace(q, id=f"{q.id}:probe", kind="probe", probe=True) for q in questions] if probes else []
    if tempting:
        questions += tempting_questions("xquad", (lang,), articles)
    return Dataset(f"xquad-{lang}", articles, questions + probed, f"xquad:{vi.resolve()}")


def followups_dataset(shared: Path, path: Path = FOLLOWUPS) -> Dataset:
    """Follow-up pairs over the XQuAD articles (all indexed, as for `xquad_dataset`): each line has a
    `first` question and a `follow_up` that leans on it ("còn … thì sao?", "and when did it end?"),
    in Vietnamese or English, about an article of the `validation` fold; `evidence` is the text the
    follow-up's answer must lead with. The follow-up is asked after the first question, searched as
    the chat searches it (`qa.question.conversation.contextualize`)."""
    articles = xquad_articles(shared / "eval" / "xquad" / "xquad.vi.json")
    titles = [a.title for a in articles]
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        article = articles[titles.index(item["article"].replace("_", " "))].id
        evidence = [match_key(e) for e in item["evidence"] if e.strip()]
        q = Question(item["id"], item["follow_up"], item["lang"], "followup", evidence, False, article)
        q.previous = [item["first"]]
        questions.append(q)
    vi = shared / "eval" / "xquad" / "xquad.vi.json"
    return Dataset("followups", articles, questions, f"xquad:{vi.resolve()}")


NEWS_CORPUS = Path("corpora") / "dantri-unc"


def news_dataset(shared: Path, split: str = "validation") -> Dataset:
    """`eval/news_questions.jsonl` over the articles of `split` of the dantri corpus (`splits.json`):
    journalists' questions in Vietnamese (with or without diacritics) and English, with verbatim
    evidence and the short answer phrase; `unanswerable` ones have no evidence."""
    from ingest.readers import read_file

    corpus = shared / NEWS_CORPUS
    files = json.loads((corpus / "splits.json").read_text(encoding="utf-8"))[split]
    articles = [read_file(corpus / f) for f in files]
    by_file = {Path(a.source).name: a.id for a in articles}
    questions = []
    for line in (shared / "eval" / "news_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        evidence = [match_key(e) for e in item.get("evidence") or [] if e.strip()]
        answer = match_key(item.get("answer") or "")
        questions.append(
            Question(
                id=item["id"],
                text=item["question"],
                lang=item.get("lang", ""),
                kind=item.get("kind", ""),
                evidence=evidence,
                need_all=True,
                article=by_file.get(item.get("file", "")),
                answers=[answer] if answer and evidence else [],
            )
        )
    return Dataset("news", articles, questions, f"news:{corpus.resolve()}:{split}")


def limit(dataset: Dataset, n: int) -> Dataset:
    """The first `n` questions (and their probes), and every tempting question (there are few)."""
    asked = [q for q in dataset.questions if not q.probe and q.kind != "tempting"][:n]
    ids = {q.id for q in asked}
    tempting = [q for q in dataset.questions if q.kind == "tempting"]
    probes = [q for q in dataset.questions if q.probe and q.id.removesuffix(":probe") in ids]
    return replace(dataset, questions=asked + tempting + probes)
