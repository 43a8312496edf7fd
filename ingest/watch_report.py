"""What a watcher pass reports: a line per source ("feed X: 3 new, 0 changed, 41 seen; next pass at
14:05"), its items' faults, and whether a source failed (the exit code of `newsqa watch --once`)."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SourceReport:
    """What one pass did with one source."""

    source: str
    kind: str  # "feed", "sitemap" or "folder"
    new: int = 0
    changed: int = 0
    seen: int = 0
    later: int = 0  # left for the next pass (ingest.watch.MAX_PAGES_PER_PASS)
    problems: list[str] = field(default_factory=list)  # one line per item that was not indexed
    error: str = ""  # the source itself failed this pass
    added: list[str] = field(default_factory=list)  # titles of the new and changed articles
    not_modified: bool = False
    seconds: float = 0.0

    def line(self, next_pass: str = "") -> str:
        """ "feed URL: 3 new, 0 changed, 41 seen; next pass at 14:05" (or "feed URL: failed: why")."""
        if self.error:
            text = f"failed: {self.error.removesuffix('.') if next_pass else self.error}"
        else:
            text = f"{self.new} new, {self.changed} changed, {self.seen} seen"
            if self.problems:
                text += f", {len(self.problems)} skipped"
            if self.later:
                text += f", {self.later} left for the next pass"
        return f"{self.kind} {self.source}: {text}" + (f"; next pass at {next_pass}" if next_pass else "")


@dataclass
class PassReport:
    sources: list[SourceReport]
    started: float  # time.time()
    seconds: float

    @property
    def failed(self) -> bool:
        """Whether a source failed (the exit code of `newsqa watch --once`)."""
        return any(s.error for s in self.sources)


def clock_time(epoch: float, interval: float = 60) -> str:
    """14:05 (14:05:30 when passes are less than two minutes apart)."""
    return datetime.fromtimestamp(epoch).strftime("%H:%M" if interval >= 120 else "%H:%M:%S")
