"""The web app: the Gradio chat UI and the JSON API, served together.

- `strings.py`: the UI's words (Vietnamese, English), the API's, and the example questions;
- `render.py`: answers, sources and articles as HTML (all article text escaped);
- `chats.py`: conversations as data (rendered in the UI's language, kept in the browser, exported);
- `handlers.py`: the functions behind the chat's events, over `qa.pipeline.Pipeline`;
- `article_handlers.py`: those behind the Articles tab (uploads, listing, removal);
- `redact.py`: file names instead of the server's paths in everything that leaves the server;
- `layout.py`: the Gradio Blocks and their events; CSS and JavaScript in `static/`;
- `api.py`: the JSON API and its one-line errors;
- `security.py`: no public address without a password, bounded login attempts;
- `server.py`: `launch(settings)` checks, opens the pipeline, builds and serves the app.

The app talks to the store only through the pipeline.
"""
