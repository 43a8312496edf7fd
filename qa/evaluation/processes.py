"""Measuring a command as a user runs it: a fresh process, its wall time, its memory (Linux /proc), the
disk it uses.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


CLI = "import sys\nfrom qa.cli import cli\ncli()\n"


# runs the CLI, then prints its peak RSS on stderr's last line (in this very process)
MEASURED_CLI = (
    "import atexit, sys\nfrom qa.evaluation.processes import peak_rss_mb\n"
    "atexit.register(lambda: print(f'PEAK_RSS_MB {peak_rss_mb():.1f}', file=sys.stderr))\n" + CLI
)


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident set size in MiB (VmHWM, Linux)."""
    return _status_mb(pid, "VmHWM:")


def rss_mb(pid: int | str = "self") -> float:
    return _status_mb(pid, "VmRSS:")


def _status_mb(pid: int | str, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def environment(settings) -> dict[str, str]:
    env = {**os.environ, "NEWSQA_DATA_DIR": str(settings.data_dir), "NEWSQA_MODEL": settings.model}
    env["NEWSQA_ANSWERER"] = settings.answerer
    env["NEWSQA_CHROMA_URL"] = settings.chroma_url  # "" for the bench's own indexes: in-process
    env["NEWSQA_MODELS_DIR"] = str(settings.model_folder_root)
    return env


def command(settings, args: list[str]) -> dict:
    """`newsqa ARGS` in a fresh process: wall time (interpreter start-up included) and peak RSS."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED_CLI, *args],
        env=environment(settings),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"newsqa {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    peak = float(done.stderr.strip().splitlines()[-1].split()[-1])
    return {"seconds": seconds, "peak_rss_mb": peak}


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """Terminate a process; kill it when it has not stopped within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
