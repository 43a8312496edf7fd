"""The web app: the Gradio chat UI and the JSON API, served together.

- `strings.py`: the UI's words (Vietnamese, English) and example questions;
- `render.py`: answers, sources and articles as HTML (all article text escaped);
- `handlers.py`: the functions behind the UI's events, over `qa.pipeline.Pipeline`;
- `layout.py`: the Gradio Blocks and their events; CSS and JavaScript in `static/`;
- `security.py`: no public address without a password, bounded login attempts;
- `server.py`: `launch(settings)` checks, opens the pipeline, builds and serves the app.

The app talks to the store only through the pipeline.
"""
