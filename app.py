"""Start the chat app: `python app.py [--host H] [--port N] [--watch SOURCE]`, the same as `newsqa serve`.

Other settings come from NEWSQA_* environment variables (see the README's settings table).
"""

import sys

from qa.cli import cli

if __name__ == "__main__":
    cli.main(["serve", *sys.argv[1:]], prog_name="app.py")
