"""
Kea's filled-in defaults, measured from real Kea and stored as data files next to this module.

`config-get` returns every default Kea filled in. `tools/kea_defaults.py` sets a config holding one element of each
kind on a throw-away Kea, reads it back and records, per element kind, what Kea added (and what it dropped
because it was a default), plus the option name -> code tables of each option space. One file per Kea version and
family: `kea-<major>.<minor>-<family>.json`. A Kea version without its own file uses the newest file not newer
than it (or the oldest file when it predates them all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..ha import KeaVersion

__all__ = (
    'Defaults',
    'DefaultsError',
    'available',
    'load_defaults',
)

_FILE = re.compile(r'^kea-(\d+)\.(\d+)-(dhcp4|dhcp6)\.json$')


class DefaultsError(LookupError):
    """No defaults file can serve a family, or a file is malformed; the message says which."""


@dataclass(frozen=True)
class Defaults:
    """One measured table: per element kind, the keys Kea fills in and their values; option names per space."""

    version: KeaVersion
    family: str
    kinds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: option space -> option name -> code, for the options Kea itself defines.
    options: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: Where the table came from (file name), for messages.
    source: str = ''


@cache
def available() -> dict[tuple[str, KeaVersion], str]:
    """Every shipped defaults file, by (family, version)."""
    out: dict[tuple[str, KeaVersion], str] = {}
    for entry in resources.files(__name__).iterdir():
        match = _FILE.match(entry.name)
        if match:
            out[(match[3], KeaVersion(int(match[1]), int(match[2])))] = entry.name
    return out


@cache
def _load(name: str) -> Defaults:
    text = resources.files(__name__).joinpath(name).read_text(encoding='utf-8')
    try:
        data = json.loads(text)
        version = KeaVersion.parse(str(data['kea-version']))
        family = str(data['family'])
        kinds = data['kinds']
        options = data.get('options', {})
    except (ValueError, KeyError, TypeError) as exc:
        raise DefaultsError(f'defaults file {name} is malformed: {exc}') from exc
    if not isinstance(kinds, dict) or not all(isinstance(v, dict) for v in kinds.values()):
        raise DefaultsError(f'defaults file {name}: "kinds" must map each kind to an object')
    return Defaults(version=version, family=family, kinds=kinds, options=options, source=name)


def load_defaults(family: str, version: KeaVersion | None = None) -> Defaults:
    """The defaults table for a family (`dhcp4`/`dhcp6`) and Kea version (None: the oldest, Kea 2.2)."""
    if family not in ('dhcp4', 'dhcp6'):
        raise DefaultsError(f"family must be 'dhcp4' or 'dhcp6', got {family!r}")
    files = sorted((v, name) for (fam, v), name in available().items() if fam == family)
    if not files:
        raise DefaultsError(f'no Kea defaults file for {family} is installed')
    chosen = files[0][1]
    if version is not None:
        wanted = KeaVersion(version.major, version.minor)
        for file_version, name in files:
            if file_version <= wanted:
                chosen = name
    return _load(chosen)
