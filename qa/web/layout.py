"""The app's layout (Gradio 6 Blocks) and the wiring of its events to `qa.web.handlers`.

The page's CSS and JavaScript are files in `qa/web/static/`: `newsqa.css`; `app.js` (run once at
page load: the answer scrolled into view, Arrow-Up, the light/dark switch, the messages' labels
for screen readers, the download of an export); `panel.js` (the article panel: clicks on [n] and
sources, the cited passage in view, on a phone over the page); `detect-language.js`.

Conversations are kept in the browser (`gr.BrowserState`, localStorage): the current one comes
back after a reload, and the past ones are listed in the sidebar (`qa.web.chats`).
"""

import os
from pathlib import Path

import gradio as gr

from ingest.uploads import UPLOAD_SUFFIXES
from qa.pipeline import Pipeline
from qa.settings import Settings
from qa.web import chats
from qa.web.handlers import Handlers, Service
from qa.web.render import article_choices, article_placeholder, esc, header_html
from qa.web.strings import EXAMPLES, LANGUAGES, TEXT, texts
from qa.web.watch_panel import watch_panel

STATIC = Path(__file__).resolve().parent / "static"
CHAT_CONCURRENCY = max(1, os.cpu_count() or 1)  # questions answered at the same time: one per core
CSS = (STATIC / "newsqa.css").read_text(encoding="utf-8")
APP_JS = (STATIC / "app.js").read_text(encoding="utf-8")
PANEL_JS = (STATIC / "panel.js").read_text(encoding="utf-8")
DETECT_LANGUAGE_JS = (STATIC / "detect-language.js").read_text(encoding="utf-8")
DOWNLOAD_JS = "(data) => { window.__nqDownload && window.__nqDownload(data); return []; }"
SET_LANG_JS = "(lang) => { document.documentElement.lang = lang; return []; }"
THEME_JS = "() => { window.__nqToggleTheme && window.__nqToggleTheme(); return []; }"
STORAGE_KEY = "newsqa-conversations"
# BrowserState encrypts what it stores with this key. It is sent to the page anyway, so it guards
# nothing; a fixed one keeps the conversations readable after the server restarts.
STORAGE_SECRET = "newsqa-conversations-v1"
# Gradio's own status line for screen readers lacks this word in its English table.
I18N = gr.I18n(en={"common.complete": "Done"}, vi={"common.complete": "Xong"})


THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["system-ui", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
).set(  # white on these blues reads at WCAG AA contrast (axe-core checks it in the browser tests)
    button_primary_background_fill="#1d4ed8",
    button_primary_background_fill_hover="#1e40af",
    button_primary_background_fill_dark="#1d4ed8",
    button_primary_background_fill_hover_dark="#1e40af",
    button_primary_text_color="#ffffff",
    button_primary_text_color_dark="#ffffff",
)


def chat_update(turns: list[dict], t: dict):
    """The chat in the UI's language: every message rendered again (an empty chat is left alone:
    at page load the saved conversation may be on its way)."""
    if not turns:
        return gr.update(label=t["chat_label"], placeholder=t["chat_placeholder"])
    return gr.update(value=chats.history_html(turns, t), label=t["chat_label"], placeholder=t["chat_placeholder"])


def build_ui(pipeline: Pipeline | None, settings: Settings, *, embedder=None, watch_status=None) -> gr.Blocks:
    """The app's Blocks. `pipeline` may be None (store down at start): it is opened on first use.
    `watch_status` (`newsqa serve --watch`): the watcher's status, shown in the Articles tab."""
    handlers = Handlers(Service(settings, pipeline, embedder), settings)
    t = TEXT["vi"]
    initial = article_choices(handlers.list_articles()[0]) if pipeline is not None else []
    hidden = dict(api_visibility="private", queue=False, show_progress="hidden")
    with gr.Blocks(title="newsqa", analytics_enabled=False, fill_width=True) as demo:
        stored = gr.BrowserState(chats.new_library(), storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
        library = gr.State(chats.new_library())  # the session's copy of `stored`
        turns = gr.State([])  # the conversation shown
        with gr.Sidebar(open=False, elem_id="nq-sidebar", label=t["past"]):
            past = gr.Radio(choices=[], label=t["past"], info=t["past_note"], elem_id="nq-past")
            delete_chat = gr.Button(t["delete_chat"], elem_id="nq-delete-chat", size="sm", variant="secondary")
        with gr.Row(equal_height=False, elem_id="nq-top"):
            header = gr.HTML(header_html(t, bool(settings.llm)), elem_id="nq-header", js_on_load=None)
            with gr.Column(scale=0, min_width=0, elem_id="nq-tools"):
                lang = gr.Radio(LANGUAGES, value="vi", label=t["language"], elem_id="nq-lang", min_width=0)
                theme = gr.Button(f"◐ {t['theme']}", elem_id="nq-theme", size="sm", variant="secondary")
        with gr.Tabs():
            with gr.Tab(t["tab_chat"], id="chat") as tab_chat:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(
                            label=t["chat_label"],
                            show_label=False,
                            elem_id="nq-chat",
                            height="min(620px, calc(100dvh - 240px))",
                            min_height=320,
                            autoscroll=False,  # app.js brings the start of each answer into view
                            render_markdown=False,
                            sanitize_html=True,
                            latex_delimiters=[],
                            buttons=[],
                            feedback_options=None,
                            layout="panel",
                            placeholder=t["chat_placeholder"],
                            group_consecutive_messages=False,
                        )
                        with gr.Row(equal_height=True, elem_id="nq-ask-row"):
                            question = gr.Textbox(
                                label=t["question"],
                                show_label=False,
                                placeholder=t["question_placeholder"],
                                elem_id="nq-question",
                                lines=1,
                                max_lines=4,
                                scale=5,
                                autofocus=False,  # app.js focuses it on wide screens, without scrolling
                            )
                            send = gr.Button(t["send"], variant="primary", elem_id="nq-send", scale=1, min_width=72)
                        with gr.Row(elem_id="nq-chat-tools"):
                            new_chat = gr.Button(t["clear"], elem_id="nq-clear", size="sm", variant="secondary")
                            export = gr.Button(t["export"], elem_id="nq-export", size="sm", variant="secondary")
                            export_data = gr.Textbox(visible="hidden", elem_id="nq-export-data")
                        examples_label = gr.HTML(
                            f'<div class="nq-examples-label">{esc(t["examples"])}</div>', js_on_load=None
                        )
                        with gr.Row(elem_id="nq-examples"):
                            chips = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes=["nq-chip"], min_width=0)
                                for q in EXAMPLES
                            ]
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
                    with gr.Column(scale=2, min_width=300, elem_id="nq-article-col"):
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
                        upload_label = gr.HTML(
                            f'<div class="nq-upload-label">{esc(t["upload"].format(mb=settings.max_upload_mb))}</div>',
                            js_on_load=None,
                        )
                        files = gr.UploadButton(
                            t["upload_button"],
                            file_count="multiple",
                            file_types=list(UPLOAD_SUFFIXES),
                            type="filepath",
                            elem_id="nq-upload",
                            variant="primary",
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
                        with gr.Group(visible=False, elem_id="nq-confirm-box") as confirm_box:
                            confirm_text = gr.HTML("", elem_id="nq-confirm-text", js_on_load=None)
                            with gr.Row():
                                confirm_yes = gr.Button(t["remove_yes"], variant="stop", elem_id="nq-remove-yes")
                                confirm_no = gr.Button(t["remove_cancel"], elem_id="nq-remove-no")
                    with gr.Column(scale=3):
                        articles_label = gr.HTML(f"<h2 class='nq-h2'>{esc(t['articles_list'])}</h2>", js_on_load=None)
                        table = gr.HTML("", elem_id="nq-articles", js_on_load=None)
                        if watch_status is not None:
                            watch_panel(watch_status, lang)

        # -- events --
        def persist(library_):
            return library_

        keep = dict(fn=persist, inputs=[library], outputs=[stored], **hidden)
        chat_inputs = [question, turns, lang, filter_articles, day_from, day_to, library]
        chat_outputs = [chatbot, question, turns, library, past]
        common = dict(
            fn=handlers.respond,
            inputs=chat_inputs,
            outputs=chat_outputs,
            concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="chat",
            show_progress="hidden",
        )
        question.submit(**common, api_name="chat").then(**keep)
        send.click(**common, api_visibility="private").then(**keep)
        for chip, text in zip(chips, EXAMPLES):
            chip.click(lambda text_=text: text_, None, [question], **hidden).then(
                **common, api_visibility="private"
            ).then(**keep)
        started = [chatbot, turns, question, panel, library, past]
        new_chat.click(handlers.new_conversation, [library, lang], started, **hidden).then(**keep)
        delete_chat.click(handlers.delete_conversation, [library, lang], started, **hidden).then(**keep)
        past.input(handlers.open_conversation, [past, library, lang], [chatbot, turns, panel, library], **hidden).then(
            **keep
        )
        export.click(handlers.export, [turns, lang], [export_data], **hidden).then(
            None, [export_data], None, js=DOWNLOAD_JS, **hidden
        )
        theme.click(None, None, None, js=THEME_JS, **hidden)
        panel.select(
            handlers.select_source,
            [lang],
            [panel],
            api_visibility="private",
            concurrency_limit=4,
            show_progress="hidden",
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
        remove.click(handlers.confirm_remove, [remove_pick, lang], [confirm_box, confirm_text, status], **hidden)
        confirm_no.click(lambda: gr.update(visible=False), None, [confirm_box], **hidden)
        confirm_yes.click(
            handlers.remove,
            [remove_pick, lang],
            [status, table, remove_pick, filter_articles, confirm_box],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
            show_progress="hidden",
        )

        def relabel(lang_, panel_value, turns_):
            t = texts(lang_)
            keep_panel = panel_value and "nq-placeholder" not in panel_value
            return [
                header_html(t, bool(settings.llm)),
                gr.update(label=t["tab_chat"]),
                gr.update(label=t["tab_articles"]),
                chat_update(chats.valid_turns(turns_), t),
                gr.update(label=t["question"], placeholder=t["question_placeholder"]),
                gr.update(value=t["send"]),
                gr.update(label=t["filters"]),
                gr.update(label=t["filter_articles"]),
                gr.update(label=t["date_from"]),
                gr.update(label=t["date_to"]),
                gr.update(value=t["clear"]),
                gr.update(label=t["past"], info=t["past_note"]),
                gr.update(value=t["delete_chat"]),
                gr.update(value=f"◐ {t['theme']}"),
                gr.update(value=t["export"]),
                f'<div class="nq-examples-label">{esc(t["examples"])}</div>',
                gr.update() if keep_panel else article_placeholder(t),
                f'<div class="nq-upload-label">{esc(t["upload"].format(mb=settings.max_upload_mb))}</div>',
                gr.update(label=t["upload_button"]),
                gr.update(label=t["remove_pick"]),
                gr.update(value=t["remove"]),
                gr.update(value=t["remove_yes"]),
                gr.update(value=t["remove_cancel"]),
                gr.update(visible=False),
                f"<h2 class='nq-h2'>{esc(t['articles_list'])}</h2>",
                handlers.refresh(lang_)[0],
            ]

        lang.change(
            relabel,
            [lang, panel, turns],
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
                new_chat,
                past,
                delete_chat,
                theme,
                export,
                examples_label,
                panel,
                upload_label,
                files,
                remove_pick,
                remove,
                confirm_yes,
                confirm_no,
                confirm_box,
                articles_label,
                table,
            ],
            **hidden,
        )
        lang.change(None, [lang], None, js=SET_LANG_JS, **hidden)  # the page's language, for screen readers

        def chosen_language(lang_, library_):
            """The language the user picked is kept with the conversations."""
            return {**chats.valid_library(library_), "lang": lang_}

        lang.input(chosen_language, [lang, library], [library], **hidden).then(**keep)
        demo.load(None, None, [lang], js=DETECT_LANGUAGE_JS).then(
            handlers.on_load,
            [lang, stored],
            [table, remove_pick, filter_articles, chatbot, turns, library, lang, past],
            api_visibility="private",
            show_progress="hidden",
        )
    demo.newsqa = handlers  # for tests and embedding: the functions behind the events
    return demo
