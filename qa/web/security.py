"""Who may use the app: the exposure rule (no public address without a password), the login check
with a bound on guessing, and the address check before start-up."""

import hmac
import ipaddress
import logging
import socket
import threading
import time

from ingest.errors import NewsqaError
from qa.settings import Settings

logger = logging.getLogger(__name__)


class LaunchError(NewsqaError):
    """The app cannot start with these settings (exposure without a password, bad NEWSQA_AUTH)."""


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str) -> tuple[str, str] | None:
    """NEWSQA_AUTH "user:password" -> ("user", "password"); "" -> None."""
    auth = (auth or "").strip()
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user.strip() or not password:
        raise LaunchError("NEWSQA_AUTH must look like user:password (both parts non-empty).")
    return user.strip(), password


def check_exposure(settings: Settings) -> tuple[str, str] | None:
    """The Gradio auth pair; refuses a non-loopback host without one."""
    auth = parse_auth(settings.auth)
    if auth is None and not is_loopback(settings.host):
        raise LaunchError(
            f"Refusing to serve on {settings.host}: that address is reachable from other machines and no "
            "password is set. Set NEWSQA_AUTH=user:password, or bind 127.0.0.1 (NEWSQA_HOST=127.0.0.1)."
        )
    return auth


class LoginLimiter:
    """Gradio's login check, with a bound on guessing: after `max_failures` failed logins within
    `window` seconds, every login is refused until the oldest failure is `window` seconds old.
    (Gradio hands the check no client address, so the bound is for the whole app.)"""

    def __init__(self, user: str, password: str, max_failures: int = 5, window: float = 60.0, clock=time.monotonic):
        self._user, self._password = user.encode(), password.encode()
        self.max_failures, self.window, self._clock = max_failures, window, clock
        self._failures: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        with self._lock:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self.window]
            if len(self._failures) >= self.max_failures:
                logger.warning("login refused: %d failed attempts in the last %.0fs", len(self._failures), self.window)
                return False
            ok = hmac.compare_digest(str(username).encode(), self._user) & hmac.compare_digest(
                str(password).encode(), self._password
            )
            if not ok:
                self._failures.append(now)
            return ok


def check_port(host: str, port: int) -> None:
    """Raise LaunchError now when the address cannot be bound (before the slow start-up)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise LaunchError(port_message(host, port, e.strerror or str(e))) from None


def port_message(host: str, port: int, why: str) -> str:
    return (
        f"Cannot serve on {host}:{port}: {why}. Stop what uses that port, or choose another one with --port or "
        "NEWSQA_PORT."
    )
