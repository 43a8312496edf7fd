"""Polite fetching for the watcher: robots.txt is respected (its rules and its `Crawl-delay`), and
requests to one host are spaced by a delay, whatever source they come from."""

import logging
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from urllib.parse import urlsplit

from ingest.errors import FetchError
from ingest.fetch import TIMEOUT_S, USER_AGENT, Response, get

logger = logging.getLogger(__name__)

DEFAULT_DELAY_S = 1.0  # between two requests to one host
MAX_CRAWL_DELAY_S = 60.0  # a robots.txt Crawl-delay above this is capped
ROBOTS_TTL_S = 3600.0  # robots.txt is read again after this long
ROBOTS_MAX_BYTES = 512 * 1024
_AGENT = USER_AGENT.split("/")[0]  # "newsqa": the name robots.txt rules are matched against


class Polite:
    """GET through robots.txt and a per-host delay; the larger of `delay` and the host's
    Crawl-delay (capped at MAX_CRAWL_DELAY_S) separates two requests to one host."""

    def __init__(
        self,
        delay: float = DEFAULT_DELAY_S,
        timeout: float = TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.delay = delay
        self.timeout = timeout
        self.sleep = sleep
        self._last: dict[str, float] = {}  # host -> when its last request started (monotonic)
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}
        self._lock = threading.Lock()
        self.requests = 0

    def get(self, url: str, **kw) -> Response:
        """`ingest.fetch.get`, after robots.txt allowed it and the host's delay has passed."""
        host = _host(url)
        robots = self._robots_for(url, host)
        if robots is not None and not robots.can_fetch(_AGENT, url):
            raise FetchError(url, "robots.txt does not allow newsqa to fetch it; skipped.")
        self._wait(host, self._delay(robots))
        kw.setdefault("timeout", self.timeout)
        return get(url, **kw)

    def crawl_delay(self, url: str) -> float:
        """The delay used between two requests to `url`'s host."""
        return self._delay(self._robots.get(_host(url), (0.0, None))[1])

    def _delay(self, robots: urllib.robotparser.RobotFileParser | None) -> float:
        asked = getattr(robots, "newsqa_crawl_delay", 0.0) if robots is not None else 0.0
        return max(self.delay, min(asked, MAX_CRAWL_DELAY_S))

    def _wait(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._last.get(host, -1e9) + delay)
            self._last[host] = start
            self.requests += 1
        if start > now:
            self.sleep(start - now)

    def _robots_for(self, url: str, host: str) -> urllib.robotparser.RobotFileParser | None:
        """The host's robots.txt rules (None: no rules), read at most once an hour. A missing one
        (HTTP 4xx) allows everything; when it cannot be read (a server error, the host is down),
        nothing is fetched from the host (RFC 9309) and it is asked again next time."""
        cached = self._robots.get(host)
        if cached is not None and time.monotonic() - cached[0] < ROBOTS_TTL_S:
            return cached[1]
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        self._wait(host, self.delay)
        try:
            answer = get(robots_url, timeout=self.timeout, max_bytes=ROBOTS_MAX_BYTES, accept="text/plain")
        except FetchError as e:
            if e.unreachable:
                raise FetchError(url, e.reason, unreachable=True) from None
            if e.status >= 500:  # nothing is fetched from the host until its robots.txt can be read
                reason = f"its robots.txt could not be read ({e.reason}); tried again next pass."
                raise FetchError(url, reason, e.status) from None
            self._robots[host] = (time.monotonic(), None)  # none (4xx), a redirect loop, too large: no rules
            logger.info("no robots.txt rules for %s (%s)", host, e.reason)
            return None
        lines = answer.data.decode("utf-8", "replace").splitlines()
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(lines)
        parser.newsqa_crawl_delay = crawl_delay(lines)
        self._robots[host] = (time.monotonic(), parser)
        return parser


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def crawl_delay(lines: list[str], agent: str = _AGENT) -> float:
    """The Crawl-delay robots.txt asks of `agent` (its own group first, else `*`), in seconds,
    decimals allowed (urllib.robotparser reads whole numbers only); 0 when none is given."""
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in lines:
        key, _, value = raw.split("#", 1)[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if in_rules:  # a new group starts
                agents, in_rules = [], False
            agents.append(value.lower())
        elif key:
            in_rules = True
            if key == "crawl-delay":
                try:
                    seconds = float(value)
                except ValueError:
                    continue
                if seconds != seconds:  # nan
                    continue
                for name in agents:
                    delays.setdefault(name, seconds)
    own = [d for name, d in delays.items() if name != "*" and name in agent.lower()]
    return max(0.0, own[0] if own else delays.get("*", 0.0))
