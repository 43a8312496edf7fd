"""One writer at a time: the data folder's write lock (a file lock, taken without waiting)."""

from pathlib import Path

from filelock import FileLock, Timeout

from ingest.errors import StoreLockedError


def write_lock(data_dir: Path) -> FileLock:
    """The data folder's write lock (not taken yet); acquiring it never waits."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(data_dir) / "write.lock"), timeout=0)


def locked_message(data_dir: Path) -> str:
    return (
        f"Another newsqa process is writing to {data_dir} (lock {Path(data_dir) / 'write.lock'}). "
        "Wait for it to finish, then run this again."
    )


def check_not_locked(data_dir: Path) -> None:
    """Raise StoreLockedError now if another process holds the data folder's write lock (a cheap
    early check; the writer takes the lock for real when it starts writing)."""
    path = Path(data_dir) / "write.lock"
    if not path.exists():
        return
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise StoreLockedError(locked_message(data_dir)) from None
    lock.release()
