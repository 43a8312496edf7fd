"""Errors a user can see: each says what went wrong and what to do."""


class NewsqaError(Exception):
    """Base class for every error newsqa reports to a user."""


class ReadError(NewsqaError):
    """A file could not be read as an article."""


class EmptyArticleError(ReadError):
    """A file holds no article text after cleaning."""


class FetchError(ReadError):
    """A web address (page, feed, sitemap) could not be fetched; `reason` says why, without the address."""

    def __init__(self, url: str, reason: str, status: int = 0, unreachable: bool = False):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason
        self.status = status  # the HTTP error code, if the server answered with one
        self.unreachable = unreachable  # no answer at all (refused, timed out, no such host)


class WatchError(NewsqaError):
    """A source given to `newsqa watch` is neither a feed, a sitemap nor a folder, or another watcher runs."""


class NoArticlesError(NewsqaError):
    """A path holds no file that newsqa can read."""


class ModelError(NewsqaError):
    """The embedding model could not be prepared or loaded."""


class StoreError(NewsqaError):
    """The Chroma store could not be reached or used."""


class StoreLockedError(NewsqaError):
    """Another process is writing to the same data folder."""


class SettingsError(NewsqaError):
    """A setting (flag or NEWSQA_* variable) has a value newsqa cannot use."""


class QuestionError(NewsqaError):
    """A question is empty or too long."""


class NotFoundError(NewsqaError):
    """An article id is not in the index."""


class LLMError(NewsqaError):
    """The language model (NEWSQA_LLM) could not be reached or gave no usable answer."""
