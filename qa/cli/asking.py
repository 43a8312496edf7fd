"""`newsqa ask`: questions from the command line or a JSONL file."""

import json
import logging

import click

from ingest.errors import NewsqaError, StoreError
from qa.cli.context import Context, fail


@click.command()
@click.argument("question", required=False)
@click.option("--file", "file_", type=click.File("rb"), help="JSONL file of {id, question} objects ('-': stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Sources to retrieve (default 5).")
@click.pass_obj
def ask(obj: Context, question, file_, as_json, k):
    """Answer a question from the indexed articles.

    \b
    newsqa ask "what did Quảng Ngãi request?"
    newsqa ask --file questions.jsonl --json
    """
    from ingest.embedder import preload
    from qa.answering.reader import preload_reader

    settings = obj.settings
    preload(settings.model, settings.model_folder_root, settings.threads or None)  # while qa imports
    if settings.answerer == "reader":
        preload_reader()
    from qa.pipeline import check_question

    if file_ is None:
        if question is None:
            fail("Give a QUESTION or --file QUESTIONS.jsonl.")
        check_question(question)
        answer = obj.index_pipeline.ask(question, k=k)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo(answer.plain_text() if answer.found else _not_found_text(answer))
        return
    for n, raw in enumerate(file_, 1):
        if not raw.strip():
            continue
        out = _ask_line(obj, n, raw, k)
        click.echo(
            json.dumps(out, ensure_ascii=False)
            if as_json
            else f"{out.get('id')}: {out.get('answer', out.get('error'))}"
        )


def _ask_line(obj: Context, n: int, raw: bytes, k: int | None) -> dict:
    """The answer to one line of a questions file, or {"id", "error"}: a bad line never stops the batch."""
    try:
        item = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return {"id": None, "error": f"line {n}: not valid UTF-8 (byte {e.start}); convert the file to UTF-8"}
    except json.JSONDecodeError:
        return {"id": None, "error": f"line {n}: not JSON; give one JSON object a line"}
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        id_ = item.get("id") if isinstance(item, dict) else None
        return {"id": id_, "error": f"line {n}: not a JSON object with a 'question' string"}
    try:
        return {"id": item.get("id"), **obj.index_pipeline.ask(item["question"], k=k).to_dict()}
    except NewsqaError as e:
        if isinstance(e, StoreError):
            raise  # the store is away: every further line would fail the same way
        return {"id": item.get("id"), "error": str(e)}
    except Exception as e:  # noqa: BLE001 - one failing question must not lose the rest of the batch
        logging.getLogger(__name__).exception("question on line %d failed", n)
        return {"id": item.get("id"), "error": f"line {n}: {type(e).__name__}: {e}"}


def _not_found_text(answer) -> str:
    lines = [answer.answer]
    for s in answer.related[:3]:
        lines.append(f"- {s.title} ({s.date or 'undated'}): {s.text[:160]}…")
    return "\n".join(lines)


COMMANDS = [ask]
