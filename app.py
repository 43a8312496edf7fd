"""Start the chat app: `python app.py` (settings from NEWSQA_* environment variables)."""

from ingest.errors import NewsqaError
from qa.settings import Settings
from qa.web.server import launch

if __name__ == "__main__":
    try:
        launch(Settings.load())
    except NewsqaError as e:
        raise SystemExit(f"Error: {e}") from None
