"""A run of the command: the pynetbox API, the connection it came from, the output, and the plugin's endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .connection import Connection, api_errors
from .output import Output

__all__ = ('Session',)


@dataclass
class Session:
    """What every subcommand works with."""

    api: Any
    connection: Connection
    out: Output
    #: Seconds `--wait` follows a job before it gives up (the job goes on in NetBox).
    wait_timeout: float = 3600.0
    #: Seconds between two reads of a job being followed.
    poll_interval: float = 0.5

    @property
    def kea_ha(self) -> Any:
        """The plugin's API: `nb.plugins.kea_ha` (`/api/plugins/kea-ha/`)."""
        return self.api.plugins.kea_ha

    @contextmanager
    def asking(self, what: str) -> Iterator[None]:
        """A block of requests; their failures become the command's errors, naming `what` was asked."""
        with api_errors(self.connection, what):
            yield
