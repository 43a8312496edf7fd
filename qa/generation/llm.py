"""Generative answers (optional, NEWSQA_LLM): a LangChain chat model writes the answer from the
numbered passages the retriever found, and every sentence it writes is verified (`qa.generation.verify`)
before it is shown as verified.

The flow (`GenerativeAnswerer.answer`):

1. **Gate.** The reader answerer (`qa.answering.reader_answerer`) reads the retrieved passages: when its
   answerability probability is below its threshold the question is refused at once, and the
   model is never called (no cost, no invented answer). Otherwise its quoted answer is kept as the
   fallback.
2. **Generation.** The model (`openai:MODEL` through `langchain_openai.ChatOpenAI`, any
   OpenAI-compatible server; `ollama:MODEL` through `langchain_ollama.ChatOllama`) gets the passages
   numbered [1]..[k] and the question, and is told to answer in the question's language, to end
   every sentence with the [n] it rests on, and to reply `NOT_IN_PASSAGES` when the passages do not
   answer. Tokens stream to `on_token` as they arrive. The whole answer must arrive within
   NEWSQA_LLM_TIMEOUT seconds; the client never retries.
3. **Verification.** The reply is split into sentences, each with the [n] it cites; each sentence
   is checked by `qa.generation.verify.Verifier` (citations in range, numbers/dates/names in the cited
   passages, the reader finds support). A sentence that fails is shown marked as unverified
   (NEWSQA_LLM_UNVERIFIED=mark, the default) or dropped (`drop`). Each verified sentence's
   evidence sentence is highlighted in its source, as for quoted answers.
4. **Fallback.** Any model error (unreachable, 401, 429, 5xx, timeout, unreadable or empty
   output), or no sentence verified: the quoted answer is returned with a `note` saying what
   happened.

`langchain_openai` / `langchain_ollama` are imported only when a model is configured.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable

from ingest.chunk import split_sentences
from ingest.errors import LLMError
from ingest.store import Key
from qa.answering.answer import Answer, Claim, refused, render_claims, source_of
from qa.generation.verify import Verdict, Verifier
from qa.retrieval.retriever import Hit, Retrieval
from qa.settings import Settings

logger = logging.getLogger(__name__)

NO_ANSWER = "NOT_IN_PASSAGES"
LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://127.0.0.1:11434"}
FALLBACK = "Showing the answer quoted from the articles instead."
MAX_ANSWER_TOKENS = 600

SYSTEM_PROMPT = """You answer questions about news articles, using only the numbered passages you are given.
Rules:
1. Write the answer in {language}, the language of the question, even when the passages are in another language.
2. State only what the passages say. Do not add facts, numbers, dates or names that are not in them.
3. End every sentence with the number of the passage it rests on, in square brackets: [1], or [1][2] when it rests on two.
4. Keep it short: one to four sentences of plain text. No headings, no lists, no introduction.
5. If the passages do not answer the question, reply with exactly {no_answer} and nothing else."""


def parse_spec(spec: str) -> tuple[str, str]:
    """ "openai:gpt-4o-mini" -> ("openai", "gpt-4o-mini") (checked by `qa.settings`)."""
    provider, _, model = spec.partition(":")
    return provider, model


def server_of(settings: Settings) -> str:
    provider, _ = parse_spec(settings.llm)
    return settings.llm_base_url or DEFAULT_URLS.get(provider, "")


def make_chat_model(settings: Settings):
    """The LangChain chat model NEWSQA_LLM names: no retries, the settings' timeout, temperature 0."""
    provider, model = parse_spec(settings.llm)
    try:
        if provider == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=model,
                base_url=settings.llm_base_url or None,
                temperature=0,
                num_predict=MAX_ANSWER_TOKENS,
                client_kwargs={"timeout": settings.llm_timeout},
            )
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=model,
            base_url=settings.llm_base_url or None,
            # local servers (vLLM, llama.cpp, LM Studio) take any key; OpenAI's own is read as usual
            api_key=settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "unused",
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0,
            max_tokens=MAX_ANSWER_TOKENS,
        )
    except ImportError as e:
        package = "langchain-ollama" if provider == "ollama" else "langchain-openai"
        raise LLMError(f"NEWSQA_LLM={settings.llm} needs the {package} package: pip install {package}.") from e


# ---- the prompt ----------------------------------------------------------------------------
def passage_block(number: int, hit: Hit) -> str:
    title, date = hit.meta.get(Key.TITLE, ""), hit.meta.get(Key.DATE, "")
    head = f"[{number}] {title}" + (f" ({date})" if date else "")
    return f"{head}\n{hit.text.strip()}"


def prompt_messages(question: str, hits: list[Hit], language: str) -> list[tuple[str, str]]:
    """(role, text) messages: the rules, then the numbered passages and the question."""
    system = SYSTEM_PROMPT.format(language=LANGUAGE_NAMES.get(language, "English"), no_answer=NO_ANSWER)
    passages = "\n\n".join(passage_block(i + 1, h) for i, h in enumerate(hits))
    return [("system", system), ("human", f"Passages:\n\n{passages}\n\nQuestion: {question}")]


# ---- calling the model ---------------------------------------------------------------------
def chunk_text(chunk) -> str:
    """The text of a streamed message chunk (a string, or a list of content blocks)."""
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b if isinstance(b, str) else str(b.get("text", "")) for b in content if isinstance(b, str | dict)
        )
    raise TypeError(f"unexpected content {type(content).__name__}")


def generate(model, messages, settings: Settings, on_token: Callable[[str], None] | None = None) -> str:
    """The model's whole reply, streamed (`on_token` gets the text so far after each piece); raises
    LLMError saying what went wrong. The reply is read in a worker thread, so a server that stalls
    cannot hold the question beyond NEWSQA_LLM_TIMEOUT."""
    pieces: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for chunk in model.stream(messages):
                pieces.put(("text", chunk_text(chunk)))
            pieces.put(("done", None))
        except BaseException as e:  # noqa: BLE001 - handed to the caller, whatever it is
            pieces.put(("error", e))

    threading.Thread(target=read, name="newsqa-llm", daemon=True).start()
    deadline = time.monotonic() + settings.llm_timeout
    text = ""
    while True:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise queue.Empty
            kind, value = pieces.get(timeout=left)
        except queue.Empty:
            raise LLMError(problem_message(TimeoutError(), settings)) from None
        if kind == "error" and not text and "no generation chunks" in str(value).lower():
            break  # LangChain's word for a stream that ended without a token: an empty answer
        if kind == "error":
            logger.warning("language model failed: %s: %s", type(value).__name__, value)
            raise LLMError(problem_message(value, settings)) from value
        if kind == "done":
            break
        if value:
            text += value
            if on_token:
                on_token(text)
    if not text.strip():
        raise LLMError(f"The language model ({settings.llm}) gave an empty answer.")
    return text


def problem_message(error: BaseException, settings: Settings) -> str:
    """What went wrong with the model, for the user: HTTP status, timeout, connection, unreadable reply."""
    kinds = " ".join(c.__name__ for c in type(error).__mro__)
    status = getattr(error, "status_code", None) or getattr(getattr(error, "response", None), "status_code", None)
    model, server = settings.llm, server_of(settings)
    if "Timeout" in kinds:
        return (
            f"The language model ({model}) did not answer within {settings.llm_timeout:g} s "
            "(NEWSQA_LLM_TIMEOUT). Try again, or allow it more time."
        )
    if isinstance(status, int):
        if status in (401, 403):
            return (
                f"The language model server at {server} refused the API key (HTTP {status}). Check NEWSQA_LLM_API_KEY."
            )
        if status == 429:
            return f"The language model server at {server} is limiting requests (HTTP 429). Try again later."
        if status == 404:
            return f"The language model server at {server} does not know the model in NEWSQA_LLM={model} (HTTP 404)."
        return f"The language model server at {server} failed (HTTP {status})."
    if "Connect" in kinds:
        return f"The language model server at {server} cannot be reached. Start it, or check NEWSQA_LLM_BASE_URL."
    detail = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
    return f"The language model ({model}) gave a reply that could not be read ({type(error).__name__}{': ' + detail if detail else ''})."


# ---- reading the reply ---------------------------------------------------------------------
_CITE = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_LEADING_CITES = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_CITE_AFTER_STOP = re.compile(r"([.!?…])[ \t]*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
_MARKUP = re.compile(r"^\s*(?:#+\s+|[-*•]\s+|\d+[.)]\s+)", re.MULTILINE)


def cited_numbers(text: str) -> list[int]:
    return [int(n) for group in _CITE.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """The reply's sentences, each without its [n] markers, with the numbers it cites (in order, once
    each). A marker placed after the sentence's full stop ("… USD. [2] Next…") belongs to the
    sentence before it."""
    text = _MARKUP.sub("", text.replace("**", "").replace("__", ""))
    text = _CITE_AFTER_STOP.sub(r" \2\1", text)  # "… USD.[2] Next" -> "… USD [2]. Next"
    claims: list[tuple[str, list[int]]] = []
    for span in split_sentences(text):
        piece = text[span.start : span.end]
        lead = _LEADING_CITES.match(piece)
        if lead and claims:
            claims[-1][1].extend(cited_numbers(lead.group(0)))
            piece = piece[lead.end() :]
        numbers = cited_numbers(piece)
        body = re.sub(r"\s+([.,;:!?…])", r"\1", _CITE.sub("", piece))
        body = " ".join(body.split())
        if not re.search(r"\w", body):
            if claims:
                claims[-1][1].extend(numbers)
            continue
        claims.append((body, numbers))
    return [(body, list(dict.fromkeys(numbers))) for body, numbers in claims]


def says_no_answer(text: str) -> bool:
    return NO_ANSWER in text.upper().replace(" ", "_") and len(text.split()) <= 12


# ---- the answerer --------------------------------------------------------------------------
class GenerativeAnswerer:
    """Answers with the language model NEWSQA_LLM names, gated and verified (module docstring)."""

    def __init__(self, settings: Settings, gate, verifier: Verifier, model=None):
        """`gate`: a `qa.answering.reader_answerer.ReaderAnswerer` (refuses, and gives the quoted fallback);
        `verifier`: checks each sentence; `model`: a LangChain chat model (default: built from the
        settings on the first question that reaches it)."""
        self.settings = settings
        self.gate = gate
        self.verifier = verifier
        self._model = model
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = make_chat_model(self.settings)
            return self._model

    def answer(
        self,
        question: str,
        retrieval: Retrieval,
        searched: str = "",
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        quoted = self.gate.answer(question, retrieval, searched=searched)
        quoted.signals["llm"] = self.settings.llm
        if not quoted.found:  # the articles do not answer: the model is not asked
            quoted.signals["llm_asked"] = False
            return quoted
        hits = retrieval.hits
        started = time.perf_counter()
        try:
            messages = prompt_messages(searched or question, hits, quoted.language)
            text = generate(self.model, messages, self.settings, on_token)
        except LLMError as e:
            return fallback(quoted, str(e))
        seconds = round(time.perf_counter() - started, 3)
        signals = {**quoted.signals, "llm_asked": True, "llm_seconds": seconds}
        if says_no_answer(text):
            answer = refused(question, hits, quoted.language, searched or question, signals)
            answer.mode = "llm"
            return answer
        sentences = split_claims(text)
        if not sentences:
            return fallback(quoted, f"The language model ({self.settings.llm}) gave no sentence that could be read.")
        verdicts = [self.verifier.check(sentence, cited, hits) for sentence, cited in sentences]
        signals["llm_claims"] = [
            {"text": s, "cited": c, "verified": v.verified, "reason": v.reason, "support": v.support}
            for (s, c), v in zip(sentences, verdicts)
        ]
        if not any(v.verified for v in verdicts):
            first, n = verdicts[0].reason, len(verdicts)
            problem = (
                f"The sentence the language model wrote could not be verified against the passages: {first}."
                if n == 1
                else f"None of the {n} sentences the language model wrote could be verified against the "
                f"passages (the first: {first})."
            )
            return fallback(quoted, problem, signals)
        return self.assemble(question, hits, sentences, verdicts, quoted, searched, signals)

    def assemble(
        self,
        question: str,
        hits: list[Hit],
        sentences: list[tuple[str, list[int]]],
        verdicts: list[Verdict],
        quoted: Answer,
        searched: str,
        signals: dict,
    ) -> Answer:
        """The generated answer: sources renumbered in order of first citation; each verified claim
        points at (and highlights) its evidence sentence."""
        numbers: dict[int, int] = {}  # hit index -> source number
        highlights: dict[int, list[tuple[int, int]]] = {}
        claims = []
        for (text, cited), verdict in zip(sentences, verdicts):
            if not verdict.verified and self.settings.llm_unverified == "drop":
                continue
            shown = [numbers.setdefault(n - 1, len(numbers) + 1) for n in cited if 1 <= n <= len(hits)]
            if verdict.verified and verdict.evidence is not None:
                for h_j, s_j in verdict.also:  # what its other cited passages say in support
                    highlights.setdefault(h_j, []).append(hits[h_j].sentences[s_j])
                h_i, s_i = verdict.evidence
                a, b = hits[h_i].sentences[s_i]
                highlights.setdefault(h_i, []).append((a, b))
                claim = Claim(text, numbers[h_i], a, b, verdict.support, True, "", shown)
            else:
                claim = Claim(text, shown[0] if shown else 0, 0, 0, verdict.support, False, verdict.reason, shown)
            claims.append(claim)
        return Answer(
            question=question,
            answer=render_claims(claims),
            found=True,
            sources=[source_of(hits[h_i], n, sorted(set(highlights.get(h_i, [])))) for h_i, n in numbers.items()],
            claims=claims,
            related=[source_of(h, 0, []) for i, h in enumerate(hits) if i not in numbers],
            searched=quoted.searched,
            language=quoted.language,
            signals=signals,
            mode="llm",
        )


def fallback(quoted: Answer, problem: str, signals: dict | None = None) -> Answer:
    """The quoted answer, with a note saying why the model's answer is not shown."""
    quoted.note = f"{problem} {FALLBACK}"
    quoted.signals = {**(signals or quoted.signals), "llm_error": problem}
    return quoted
