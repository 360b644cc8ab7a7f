"""
What the command prints. Human mode: results and job logs on standard output. `--json`: one JSON document on standard
output (machine-readable), the live job log on standard error. A progress line (rewritten in place) only when
standard error is a terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

__all__ = (
    'Output',
    'plain',
)


def plain(value: Any) -> Any:
    """`value` with pynetbox Records (and lists of them) turned into dicts and lists, recursively."""
    from pynetbox.core.response import Record

    if isinstance(value, Record):
        return {key: plain(item) for key, item in dict(value).items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


class Output:
    """Where and how the command writes."""

    def __init__(self, json_mode: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        """`json_mode`: results as one JSON document on stdout, everything else on stderr."""
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._progress_shown = False

    @property
    def interactive(self) -> bool:
        """Whether a progress line can be drawn (stderr is a terminal)."""
        return bool(getattr(self.stderr, 'isatty', lambda: False)())

    def line(self, text: str = '') -> None:
        """A line of human-readable output (stderr in JSON mode, so that stdout stays one JSON document)."""
        self.clear_progress()
        stream = self.stderr if self.json_mode else self.stdout
        print(text, file=stream, flush=True)

    def result(self, data: Any) -> None:
        """The machine-readable result (JSON mode only)."""
        if self.json_mode:
            self.clear_progress()
            print(json.dumps(data, indent=2, sort_keys=False, default=str), file=self.stdout, flush=True)

    def error(self, text: str) -> None:
        """An error message on stderr: `kea-ha: error: ...`."""
        self.clear_progress()
        print(f'kea-ha: error: {text}', file=self.stderr, flush=True)

    def warning(self, text: str) -> None:
        """A warning on stderr."""
        self.clear_progress()
        print(f'kea-ha: warning: {text}', file=self.stderr, flush=True)

    def progress(self, text: str) -> None:
        """Show `text` as the progress line (rewritten in place; nothing when stderr is not a terminal)."""
        if not self.interactive:
            return
        self.stderr.write('\r\033[K' + text[:200])
        self.stderr.flush()
        self._progress_shown = True

    def clear_progress(self) -> None:
        """Remove the progress line, if one is shown."""
        if self._progress_shown:
            self.stderr.write('\r\033[K')
            self.stderr.flush()
            self._progress_shown = False
