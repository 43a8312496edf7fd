"""The app's layout (Gradio 6 Blocks) and the wiring of its events to `qa.web.handlers`.

The page's CSS and JavaScript are files in `qa/web/static/`.
"""

import os
from pathlib import Path

import gradio as gr

from ingest.uploads import UPLOAD_SUFFIXES
from qa.pipeline import Pipeline
from qa.settings import Settings
from qa.web.handlers import Handlers, Service
from qa.web.render import article_choices, article_placeholder, esc, header_html
from qa.web.strings import EXAMPLES, LANGUAGES, TEXT, texts
from qa.web.watch_panel import watch_panel

STATIC = Path(__file__).resolve().parent / "static"
CHAT_CONCURRENCY = max(1, os.cpu_count() or 1)  # questions answered at the same time: one per core
CSS = (STATIC / "newsqa.css").read_text(encoding="utf-8")
PANEL_JS = (STATIC / "panel.js").read_text(encoding="utf-8")
DETECT_LANGUAGE_JS = (STATIC / "detect-language.js").read_text(encoding="utf-8")


THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["system-ui", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


def build_ui(pipeline: Pipeline | None, settings: Settings, *, embedder=None, watch_status=None) -> gr.Blocks:
    """The app's Blocks. `pipeline` may be None (store down at start): it is opened on first use.
    `watch_status` (`newsqa serve --watch`): the watcher's status, shown in the Articles tab."""
    handlers = Handlers(Service(settings, pipeline, embedder), settings)
    t = TEXT["vi"]
    initial = article_choices(handlers.list_articles()[0]) if pipeline is not None else []
    with gr.Blocks(title="newsqa", analytics_enabled=False, fill_width=True) as demo:
        with gr.Row(equal_height=False):
            header = gr.HTML(header_html(t, bool(settings.llm)), elem_id="nq-header", js_on_load=None)
            lang = gr.Radio(LANGUAGES, value="vi", label=t["language"], elem_id="nq-lang", scale=0, min_width=300)
        conversation = gr.State([])
        with gr.Tabs():
            with gr.Tab(t["tab_chat"], id="chat") as tab_chat:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chatbot = gr.Chatbot(
                            label=t["chat_label"],
                            show_label=False,
                            elem_id="nq-chat",
                            height=620,
                            render_markdown=False,
                            sanitize_html=True,
                            latex_delimiters=[],
                            buttons=[],
                            feedback_options=None,
                            layout="panel",
                            placeholder=t["chat_placeholder"],
                            group_consecutive_messages=False,
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                label=t["question"],
                                show_label=False,
                                placeholder=t["question_placeholder"],
                                elem_id="nq-question",
                                lines=1,
                                max_lines=4,
                                scale=5,
                                autofocus=True,
                            )
                            send = gr.Button(t["send"], variant="primary", elem_id="nq-send", scale=1, min_width=80)
                        with gr.Accordion(t["filters"], open=False, elem_id="nq-filters") as filters_box:
                            filter_articles = gr.Dropdown(
                                choices=initial,
                                multiselect=True,
                                allow_custom_value=True,  # the API may name articles ingested after start-up
                                label=t["filter_articles"],
                                elem_id="nq-filter-articles",
                            )
                            with gr.Row():
                                day_from = gr.Textbox(
                                    label=t["date_from"], placeholder="2023-10-01", elem_id="nq-from"
                                )
                                day_to = gr.Textbox(label=t["date_to"], placeholder="2023-10-31", elem_id="nq-to")
                        gr.Examples(
                            examples=[[q] for q in EXAMPLES],
                            inputs=[question],
                            label="Câu hỏi mẫu / Example questions",
                            elem_id="nq-examples",
                        )
                        clear = gr.Button(t["clear"], elem_id="nq-clear", size="sm", variant="secondary")
                    with gr.Column(scale=2, min_width=320):
                        panel = gr.HTML(
                            article_placeholder(t),
                            elem_id="nq-article",
                            js_on_load=PANEL_JS,
                            max_height=760,
                            min_height=200,
                            autoscroll=False,
                            apply_default_css=True,
                        )
            with gr.Tab(t["tab_articles"], id="articles") as tab_articles:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        files = gr.File(
                            label=t["upload"].format(mb=settings.max_upload_mb),
                            file_count="multiple",
                            file_types=list(UPLOAD_SUFFIXES),
                            type="filepath",
                            elem_id="nq-upload",
                        )
                        status = gr.HTML("", elem_id="nq-status", js_on_load=None)
                        with gr.Row(equal_height=True):
                            remove_pick = gr.Dropdown(
                                choices=initial,
                                allow_custom_value=True,
                                label=t["remove_pick"],
                                elem_id="nq-remove-pick",
                                scale=3,
                            )
                            remove = gr.Button(t["remove"], variant="stop", elem_id="nq-remove", scale=1)
                    with gr.Column(scale=3):
                        articles_label = gr.HTML(f"<h3>{esc(t['articles_list'])}</h3>", js_on_load=None)
                        table = gr.HTML("", elem_id="nq-articles", js_on_load=None)
                        if watch_status is not None:
                            watch_panel(watch_status, lang)

        # -- events --
        chat_inputs = [question, chatbot, conversation, lang, filter_articles, day_from, day_to]
        chat_outputs = [chatbot, question, conversation]
        common = dict(
            fn=handlers.respond,
            inputs=chat_inputs,
            outputs=chat_outputs,
            concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="chat",
            show_progress="hidden",
        )
        question.submit(**common, api_name="chat")
        send.click(**common, api_visibility="private")
        clear.click(
            handlers.clear, [lang], [chatbot, conversation, question, panel], api_visibility="private", queue=False
        )
        # The chat's own trash button empties the chat: forget the searched questions too.
        chatbot.clear(
            lambda lang_: ([], article_placeholder(texts(lang_))),
            [lang],
            [conversation, panel],
            api_visibility="private",
            queue=False,
        )
        panel.select(
            handlers.select_source,
            [lang],
            [panel],
            api_visibility="private",
            concurrency_limit=4,
            show_progress="minimal",
        )

        def upload(files_, lang_, progress=gr.Progress()):
            return handlers.upload(files_, lang_, progress)

        files.upload(
            upload,
            [files, lang],
            [status, table, remove_pick, filter_articles, files],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        remove.click(
            handlers.remove,
            [remove_pick, lang],
            [status, table, remove_pick, filter_articles],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )

        def relabel(lang_, panel_value):
            t = texts(lang_)
            keep_panel = panel_value and "nq-placeholder" not in panel_value
            return [
                header_html(t, bool(settings.llm)),
                gr.update(label=t["tab_chat"]),
                gr.update(label=t["tab_articles"]),
                gr.update(label=t["chat_label"], placeholder=t["chat_placeholder"]),
                gr.update(label=t["question"], placeholder=t["question_placeholder"]),
                gr.update(value=t["send"]),
                gr.update(label=t["filters"]),
                gr.update(label=t["filter_articles"]),
                gr.update(label=t["date_from"]),
                gr.update(label=t["date_to"]),
                gr.update(value=t["clear"]),
                gr.update() if keep_panel else article_placeholder(t),
                gr.update(label=t["upload"].format(mb=settings.max_upload_mb)),
                gr.update(label=t["remove_pick"]),
                gr.update(value=t["remove"]),
                f"<h3>{esc(t['articles_list'])}</h3>",
                handlers.refresh(lang_)[0],
            ]

        lang.change(
            relabel,
            [lang, panel],
            [
                header,
                tab_chat,
                tab_articles,
                chatbot,
                question,
                send,
                filters_box,
                filter_articles,
                day_from,
                day_to,
                clear,
                panel,
                files,
                remove_pick,
                remove,
                articles_label,
                table,
            ],
            api_visibility="private",
            queue=False,
        )
        demo.load(None, None, [lang], js=DETECT_LANGUAGE_JS)
        demo.load(
            handlers.on_load, [lang, chatbot], [table, remove_pick, filter_articles, chatbot], api_visibility="private"
        )
    demo.newsqa = handlers  # for tests and embedding: the functions behind the events
    return demo
