"""
Read the facts the tests check against Kea's own C++ source, and write them to `tests/kea/kea_source_facts.json`.

    python tools/kea_source_facts.py                          # the tags already in the file, from the default mirror
    python tools/kea_source_facts.py --tag Kea-3.0.4 --git /path/to/kea.git    # add a tag (and reread the stored)
    python tools/kea_source_facts.py --check                  # exit 1 when the stored facts differ from the source

The tests compare the plugin's tables (HA defaults and bounds, the keys a subnet inherits, the global keys
replication classifies) with these facts, always, so they need no Kea source at run time. Each fact records where
it came from: the Kea release tag, the commit the tag names, the path of the source file and its git blob id there,
and the values read from it. The values are read by the extractors below (regular expressions over the C++ tables),
never typed by hand; no source file is copied. When the local Kea mirror (`KEA_GIT`, a bare clone of
https://github.com/isc-projects/kea) is present, `kea_fact` also re-reads the source and fails on a stale file.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / 'tests' / 'kea' / 'kea_source_facts.json'
#: A local bare clone of Kea's git repository (the tool's default source; the tests' optional staleness check).
#: The environment variable KEA_GIT names another one (a path that does not exist turns the check off).
KEA_GIT = Path(os.environ.get('KEA_GIT') or '/work/.mirror/isc-projects+kea/repo')
#: The releases the tests check, when the facts file does not exist yet.
DEFAULT_TAGS = ('Kea-2.2.0', 'Kea-2.6.3', 'Kea-3.0.3')
REGENERATE = 'python tools/kea_source_facts.py'


class FactsError(RuntimeError):
    """A fact is missing from the file, cannot be read from the source, or the file is stale."""


# --------------------------------------------------------------------------------------------------------------
# Extractors: source text -> values
# --------------------------------------------------------------------------------------------------------------


#: How a `SimpleDefaults` row's text becomes its value, by its `Element::` type.
CONVERT: dict[str, Callable[[str], Any]] = {'integer': int, 'boolean': lambda t: t == 'true', 'string': str}


def simple_defaults(table: str) -> Callable[[str], dict[str, Any]]:
    """A `SimpleDefaults` table (`{ "key", Element::integer, "5" }` rows) as key -> typed value, in source order."""

    def extract(source: str) -> dict[str, Any]:
        body = re.search(table + r' = \{(.*?)\n\};', source, re.S)
        if not body:
            raise FactsError(f'no {table} table')
        values: dict[str, Any] = {}
        for key, kind, text in re.findall(r'\{\s*"([a-z-]+)",\s*Element::(\w+),\s*"([^"]*)"\s*\}', body[1]):
            values[key] = CONVERT[kind](text)
        return values

    return extract


def integer_types(source: str) -> dict[str, str]:
    """Key -> C++ type (`uint16_t`, `uint32_t`) of every `getAndValidateInteger<type>(x, "key")` call."""
    calls = re.findall(r'getAndValidateInteger<(uint\d+_t)>\(\w+, "([a-z-]+)"\)', source)
    return {key: kind for kind, key in calls}


def key_list(table: str) -> Callable[[str], list[str]]:
    """The quoted keys of a list table (`INHERIT_TO_SUBNET4 = { "a", "b" };`), sorted."""

    def extract(source: str) -> list[str]:
        body = re.search(rf'{table} = \{{(.*?)\}};', source, re.S)
        if not body:
            raise FactsError(f'no {table} table')
        return sorted(set(re.findall(r'"([a-z0-9-]+)"', body[1])))

    return extract


def keyword_table(table: str) -> Callable[[str], list[str]]:
    """The keys (first column) of a `SimpleKeywords` table (`{ "key", Element::integer },` rows), sorted."""

    def extract(source: str) -> list[str]:
        body = re.search(rf'{table} = \{{(.*?)\n\}};', source, re.S)
        if not body:
            raise FactsError(f'no {table} table')
        return sorted(set(re.findall(r'\{\s*"([a-z0-9-]+)",', body[1])))

    return extract


def config_pair_keys(source: str) -> list[str]:
    """The global keys the server's config parser reads itself (`config_pair.first == "key"`), sorted."""
    return sorted(set(re.findall(r'config_pair\.first == "([a-z0-9-]+)"', source)))


HA_PARSER = 'src/hooks/dhcp/high_availability/ha_config_parser.cc'


def simple_parser(family: int) -> str:
    """SimpleParser4/6: the global keywords and the keys a subnet inherits."""
    return f'src/lib/dhcpsrv/parsers/simple_parser{family}.cc'


def json_config_parser(family: int) -> str:
    """kea-dhcp4/6's config parser: the global keys it handles itself."""
    return f'src/bin/dhcp{family}/json_config_parser.cc'


#: Source path -> fact name -> extractor.
EXTRACTORS: dict[str, dict[str, Callable[[str], Any]]] = {
    HA_PARSER: {
        **{f'HA_CONFIG_{t}DEFAULTS': simple_defaults(f'HA_CONFIG_{t}DEFAULTS') for t in ('', 'LB_', 'MT_', 'PEER_')},
        'getAndValidateInteger': integer_types,
    },
    **{
        simple_parser(f): {f'INHERIT_TO_SUBNET{f}': key_list(f'INHERIT_TO_SUBNET{f}')}
        | {f'GLOBAL{f}_PARAMETERS': keyword_table(f'GLOBAL{f}_PARAMETERS')}
        for f in (4, 6)
    },
    **{json_config_parser(f): {'config_pair.first': config_pair_keys} for f in (4, 6)},
}


# --------------------------------------------------------------------------------------------------------------
# The source: a bare git clone of Kea
# --------------------------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str | None:
    """The output of a git command in `repo`, or None when it fails (no such tag or path)."""
    result = subprocess.run(['git', '-C', str(repo), *args], capture_output=True, text=True)
    return None if result.returncode else result.stdout


def has_tag(repo: Path, tag: str) -> bool:
    """Whether `repo` is a git repository holding the release tag."""
    return repo.exists() and git(repo, 'rev-parse', '--verify', '--quiet', f'refs/tags/{tag}') is not None


def read_tag(repo: Path, tag: str) -> dict[str, Any]:
    """Every fact of one release tag, with the commit and each file's blob id."""
    commit = git(repo, 'rev-parse', f'{tag}^{{commit}}')
    if commit is None:
        raise FactsError(f'{tag} is not in {repo}')
    files: dict[str, Any] = {}
    for path, extractors in EXTRACTORS.items():
        blob, source = git(repo, 'rev-parse', f'{tag}:{path}'), git(repo, 'show', f'{tag}:{path}')
        if blob is None or source is None:
            raise FactsError(f'{tag}:{path} is not in {repo}')
        facts: dict[str, Any] = {}
        for name, extract in extractors.items():
            try:
                facts[name] = extract(source)
            except FactsError as e:
                raise FactsError(f'{tag}:{path}: {e}') from None
        files[path] = {'blob': blob.strip(), 'facts': facts}
    return {'commit': commit.strip(), 'files': files}


def generate(repo: Path, tags: list[str]) -> dict[str, Any]:
    """The whole facts document for these tags."""
    return {
        'about': 'Facts read from Kea source files at release tags (values only, no source copied); '
        'tests/kea/test_ha.py, test_normalise.py and test_replicate.py compare the plugin tables with them.',
        'repository': 'https://github.com/isc-projects/kea',
        'generated-by': 'tools/kea_source_facts.py',
        'tags': {tag: read_tag(repo, tag) for tag in tags},
    }


# --------------------------------------------------------------------------------------------------------------
# The stored facts, for the tests
# --------------------------------------------------------------------------------------------------------------


@functools.cache
def stored(path: Path = FACTS) -> dict[str, Any]:
    """The facts file (read once)."""
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def differences(fresh: dict[str, Any], kept: dict[str, Any]) -> list[str]:
    """What differs between two entries of one tag: `commit`, `<path> blob`, `<path> <fact>`."""
    out = [] if fresh['commit'] == kept.get('commit') else ['commit']
    for source, entry in fresh['files'].items():
        old = kept.get('files', {}).get(source, {})
        out += [f'{source} blob'] if entry['blob'] != old.get('blob') else []
        old_facts = old.get('facts', {})
        out += [f'{source} {name}' for name, values in entry['facts'].items() if values != old_facts.get(name)]
    return out


@functools.cache
def check_tag(tag: str, repo: Path = KEA_GIT, path: Path = FACTS) -> None:
    """When `repo` has the tag, fail unless the stored facts of it are exactly what the source gives today."""
    if not has_tag(repo, tag):
        return
    differ = differences(read_tag(repo, tag), stored(path)['tags'].get(tag, {}))
    if differ:
        raise FactsError(f'{path.name} is stale for {tag}, {repo} differs in: {", ".join(differ)}; run {REGENERATE}')


def kea_fact(tag: str, source: str, name: str) -> Any:
    """One stored fact of Kea's source file `source` at release `tag` (e.g. `HA_CONFIG_DEFAULTS`).

    Works without any Kea source. When the local mirror has the tag, the stored facts are first checked against it.
    """
    check_tag(tag)
    try:
        return copy.deepcopy(stored()['tags'][tag]['files'][source]['facts'][name])
    except KeyError:
        raise FactsError(f'{FACTS.name} has no {name} of {tag}:{source}; run {REGENERATE} --tag {tag}') from None


# --------------------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or with --check, verify) the facts file from a Kea git clone."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0] if __doc__ else None)
    parser.add_argument('--git', type=Path, default=KEA_GIT, help=f'a (bare) clone of Kea (default {KEA_GIT})')
    parser.add_argument('--tag', action='append', help='a release tag to add or refresh (default: those stored)')
    parser.add_argument('--out', type=Path, default=FACTS)
    parser.add_argument('--check', action='store_true', help='compare only; exit 1 when the file is stale')
    args = parser.parse_args(argv)
    try:
        return run(args)
    except FactsError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    """Read the tags from the clone; write the file, or compare it."""
    kept = json.loads(args.out.read_text())['tags'] if args.out.exists() else {}
    tags = sorted({*(kept or DEFAULT_TAGS), *(args.tag or ())}, key=lambda t: [int(n) for n in re.findall(r'\d+', t)])
    doc = generate(args.git, tags)
    if args.check:
        stale = {tag: differences(doc['tags'][tag], kept.get(tag, {})) for tag in tags}
        for tag, differ in stale.items():
            print(f'{tag}: ' + (f'stale: {", ".join(differ)}' if differ else 'up to date'), file=sys.stderr)
        return 1 if any(stale.values()) else 0
    args.out.write_text(json.dumps(doc, indent=1) + '\n')
    for tag, facts in doc['tags'].items():
        print(f'{tag} ({facts["commit"][:12]}):', file=sys.stderr)
        for path, entry in facts['files'].items():
            sizes = ', '.join(f'{name} {len(values)}' for name, values in entry['facts'].items())
            print(f'  {path} {entry["blob"][:12]}: {sizes}', file=sys.stderr)
    print(f'{args.out}: {len(tags)} tags', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
