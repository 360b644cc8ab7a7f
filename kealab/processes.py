"""One Kea daemon run by the lab: started with its own environment, recorded by PID, stopped by PID.

Every process a lab starts is registered in a module-level table; an `atexit` hook stops whatever is still
running when the interpreter exits, and on Linux the kernel sends SIGTERM to a daemon whose parent dies
(`PR_SET_PDEATHSIG`), unless the process is detached (the CLI's `up` leaves its servers running on purpose).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ('KeaProcess', 'LabError', 'pid_alive', 'stop_pids', 'tail')

_PR_SET_PDEATHSIG = 1
_LIVE: dict[int, KeaProcess] = {}
_LIVE_LOCK = threading.Lock()


class LabError(RuntimeError):
    """Something in the lab went wrong: a daemon did not start, HA did not settle, bad lab input."""


def tail(path: Path, lines: int = 25) -> str:
    """The last `lines` lines of a text file ('' when it does not exist)."""
    try:
        with path.open('rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode('utf-8', 'replace')
    except FileNotFoundError:
        return ''
    return '\n'.join(data.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    """True when a process with this PID exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return True
    return stat.rsplit(')', 1)[-1].split()[0] != 'Z'


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _gone(pid: int) -> bool:
    """True once the process has ended; our own children are reaped (a dying zombie is not gone yet)."""
    with _LIVE_LOCK:
        process = _LIVE.get(pid)
    if process is not None and process._popen is not None:
        return process._popen.poll() is not None
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    return not pid_alive(pid)


def _wait_gone(pids: Iterable[int], deadline: float) -> set[int]:
    """Wait until every PID is gone or the deadline passes; the ones still alive."""
    left = set(pids)
    while left:
        left = {pid for pid in left if not _gone(pid)}
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return left


def stop_pids(pids: Sequence[int], grace: float = 5.0) -> list[int]:
    """Stop processes by PID: SIGTERM to all, then SIGKILL to those alive after `grace` seconds.

    Returns the PIDs that were signalled (those already gone are skipped). Only pass PIDs this lab started.
    """
    signalled = []
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                signalled.append(pid)
    left = _wait_gone(signalled, time.monotonic() + grace)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _wait_gone(left, time.monotonic() + 5.0)
    return signalled


class KeaProcess:
    """One daemon (`kea-dhcp4`, `kea-dhcp6` or `kea-ctrl-agent`) of a lab server, restartable from its config file."""

    def __init__(
        self,
        kind: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log_path: Path,
        stdout_path: Path,
        detached: bool = False,
        cmdline: Sequence[str] | None = None,
    ) -> None:
        self.kind = kind
        self.argv = list(argv)
        #: What /proc/<pid>/cmdline shows once the daemon runs (differs from argv under chroot).
        self.cmdline = list(cmdline or argv)
        self.env = env
        self.cwd = cwd
        #: The daemon's own log file (its `loggers` output).
        self.log_path = log_path
        #: Where its stdout and stderr go (startup errors before logging is configured land here).
        self.stdout_path = stdout_path
        self.detached = detached
        self._popen: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    def __repr__(self) -> str:
        return f'<KeaProcess {self.kind} pid={self._pid} alive={self.alive}>'

    @property
    def pid(self) -> int | None:
        """The PID of the last start (None before the first start)."""
        return self._pid

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        if self._pid is None:
            return False
        if self._popen is not None:
            return self._popen.poll() is None
        return pid_alive(self._pid)

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    def poll(self) -> int | None:
        """Reap the process if it has ended; its exit status or None."""
        return self.returncode

    def start(self) -> int:
        """Start the daemon (it must not be running) and return its PID. Does not wait for readiness."""
        if self.alive:
            raise LabError(f'{self.kind} is already running (pid {self._pid})')
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open('ab') as out:
            out.write(f'--- kealab start {time.strftime("%Y-%m-%d %H:%M:%S")}: {" ".join(self.argv)}\n'.encode())
            out.flush()
            self._popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.detached or not _main_thread() else _set_pdeathsig,
            )
        self._pid = self._popen.pid
        if not self.detached:
            with _LIVE_LOCK:
                _LIVE[self._pid] = self
        return self._pid

    def kill(self, sig: int = signal.SIGKILL, wait: float = 10.0) -> None:
        """Send a signal (default SIGKILL) and, for SIGTERM/SIGKILL/SIGINT, wait until the process is gone."""
        if not self.alive or self._pid is None:
            raise LabError(f'{self.kind} is not running')
        os.kill(self._pid, sig)
        if sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT):
            left = _wait_gone([self._pid], time.monotonic() + wait)
            if left:
                raise LabError(f'{self.kind} (pid {self._pid}) still runs {wait} s after signal {sig}')
            self._forget()

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds. Does nothing when the process is not running."""
        if self._pid is not None and self.alive:
            stop_pids([self._pid], grace)
        self.poll()
        self._forget()

    def detach(self) -> None:
        """Leave the process running when the interpreter exits (no safety net any more)."""
        self.detached = True
        self._forget()

    def _forget(self) -> None:
        if self._pid is not None:
            with _LIVE_LOCK:
                _LIVE.pop(self._pid, None)

    def log_tail(self, lines: int = 25) -> str:
        """The end of the daemon's log file and of its stdout, for error messages."""
        parts = []
        for label, path in (('log', self.log_path), ('stdout', self.stdout_path)):
            text = tail(path, lines)
            if text:
                parts.append(f'--- {label} {path} ---\n{text}')
        return '\n'.join(parts) or '(no log output)'

    def log_lines(self) -> list[str]:
        """Every line of the daemon's log file so far."""
        try:
            return self.log_path.read_text(errors='replace').splitlines()
        except FileNotFoundError:
            return []


def _main_thread() -> bool:
    # PR_SET_PDEATHSIG fires when the *thread* that forked ends: only use it from the main thread.
    return threading.current_thread() is threading.main_thread()


@atexit.register
def _stop_everything() -> None:
    """Safety net: stop every non-detached daemon still running when the interpreter exits."""
    with _LIVE_LOCK:
        pids = [pid for pid, process in _LIVE.items() if not process.detached]
    if pids:
        stop_pids(pids, grace=3.0)
