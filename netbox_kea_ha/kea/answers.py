"""Kea's answers: the values the clients return (`Answer`, `KeaConfig`, `ConfigWritten`, `VersionInfo`), and how
an HTTP response becomes them or an error of the tree in `exceptions.py` (HTTP status, result codes, shapes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .endpoint import Endpoint
from .exceptions import (
    KeaBadRequest,
    KeaCommandError,
    KeaCommandFailed,
    KeaEmpty,
    KeaForbidden,
    KeaHTTPError,
    KeaProtocolError,
    KeaServerOffline,
    KeaUnauthorized,
    KeaUnsupported,
)
from .ha import KeaVersion

__all__ = (
    'Answer',
    'ConfigWritten',
    'KeaConfig',
    'VersionInfo',
    'checked',
    'commands_of',
    'config_of',
    'hash_of',
    'parsed',
    'read_answers',
    'version_of',
    'written_of',
)


def _outline(value: Any) -> str:
    """A short, secret-free sketch of an answer's value for reprs: a config can be megabytes, and carries passwords.
    Maps show their keys (a config's root and what is in it), lists their length, scalars their type."""
    if isinstance(value, Mapping):
        inner = (
            ', '.join(
                f'{key!r}: {_outline(item) if isinstance(item, Mapping) else _kind(item)}'
                for key, item in value.items()
            )
            if len(value) <= 3
            else ', '.join(repr(key) for key in value)
        )
        return '{' + inner + '}'
    return _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return f'<map of {len(value)}>'
    if isinstance(value, list | tuple):
        return f'<list of {len(value)}>'
    return 'None' if value is None else f'<{type(value).__name__}>'


#: Texts of a Control Agent that could not forward a command to its server (result 1).
_OFFLINE_MARKERS = ('server is likely to be offline', 'forwarding socket is not configured')


@dataclass(frozen=True)
class Answer:
    """One answer of Kea: `result` (0 success, 1 error, 2 unsupported, 3 empty), `text`, `arguments`."""

    result: int
    text: str | None = None
    arguments: Any = None

    def __repr__(self) -> str:
        return f'Answer(result={self.result!r}, text={self.text!r}, arguments={_outline(self.arguments)})'


@dataclass(frozen=True)
class KeaConfig:
    """A `config-get` answer: the config (`{"Dhcp4": {...}}`) and, Kea >= 2.6, its hash."""

    config: dict[str, Any]
    hash: str | None = None

    def __repr__(self) -> str:
        return f'KeaConfig(config={_outline(self.config)}, hash={self.hash!r})'


@dataclass(frozen=True)
class ConfigWritten:
    """A `config-write` answer: where Kea wrote the config and how many bytes."""

    filename: str | None
    size: int | None
    text: str | None


@dataclass(frozen=True)
class VersionInfo:
    """A `version-get` answer: the parsed version, Kea's text (`2.2.0`) and the extended build text."""

    version: KeaVersion
    text: str
    extended: str | None = None


def _http_error(endpoint: Endpoint, command: str, response: httpx.Response) -> KeaHTTPError:
    text = None
    try:
        payload = response.json()
        if isinstance(payload, list) and payload:
            payload = payload[0]
        if isinstance(payload, Mapping):
            text = payload.get('text')
    except ValueError:
        pass
    status = response.status_code
    message = f'HTTP {status}' + (f': {text}' if isinstance(text, str) and text else f' {response.reason_phrase}')
    kind = {400: KeaBadRequest, 401: KeaUnauthorized, 403: KeaForbidden}.get(status, KeaHTTPError)
    return kind(message, status=status, url=endpoint.url, command=command)


def read_answers(endpoint: Endpoint, command: str, response: httpx.Response) -> list[Answer]:
    """Every answer of an HTTP response (one per service); HTTP errors and answers of the wrong shape raise."""
    if response.status_code != 200:
        raise _http_error(endpoint, command, response)
    try:
        payload = response.json()
    except ValueError:
        raise KeaProtocolError(
            f'the answer is not JSON: {response.text[:120]!r}', url=endpoint.url, command=command
        ) from None
    if isinstance(payload, Mapping):
        payload = [payload]
    if not isinstance(payload, list) or not payload:
        raise KeaProtocolError(
            f'expected a list of answers, got {type(payload).__name__}', url=endpoint.url, command=command
        )
    answers = []
    for entry in payload:
        if not isinstance(entry, Mapping):
            raise KeaProtocolError(
                f'an answer is {type(entry).__name__}, expected a map', url=endpoint.url, command=command
            )
        result, text = entry.get('result'), entry.get('text')
        if isinstance(result, bool) or not isinstance(result, int):
            raise KeaProtocolError(f'an answer has no integer result: {result!r}', url=endpoint.url, command=command)
        if text is not None and not isinstance(text, str):
            raise KeaProtocolError(
                f'an answer text is {type(text).__name__}, expected a string', url=endpoint.url, command=command
            )
        answers.append(Answer(result, text, entry.get('arguments')))
    return answers


def checked(endpoint: Endpoint, command: str, answers: list[Answer], empty_ok: bool) -> Answer:
    """The first answer when its result is 0 (or 3 with `empty_ok`); otherwise its `KeaCommandError`."""
    answer = answers[0]
    if answer.result == 0 or (answer.result == 3 and empty_ok):
        return answer
    text, result = answer.text, answer.result
    kind: type[KeaCommandError] = KeaCommandError
    if result == 1:
        lowered = (text or '').lower()
        kind = KeaServerOffline if any(m in lowered for m in _OFFLINE_MARKERS) else KeaCommandFailed
    elif result == 2:
        kind = KeaUnsupported
    elif result == 3:
        kind = KeaEmpty
    message = f'result {result}: {text}' if text else f'result {result}'
    raise kind(message, result=result, text=text, url=endpoint.url, command=command)


def config_of(endpoint: Endpoint, answer: Answer) -> KeaConfig:
    """A `config-get` answer as a `KeaConfig`."""
    arguments = answer.arguments
    if not isinstance(arguments, Mapping):
        raise KeaProtocolError('config-get answer has no arguments map', url=endpoint.url, command='config-get')
    config = {key: value for key, value in arguments.items() if key != 'hash'}
    if not config:
        raise KeaProtocolError('config-get answer holds no configuration', url=endpoint.url, command='config-get')
    digest = arguments.get('hash')
    return KeaConfig(config=config, hash=digest if isinstance(digest, str) else None)


def hash_of(answer: Answer) -> str | None:
    """The config hash in an answer's arguments (Kea >= 2.6: config-get/set/reload, config-hash-get), or None."""
    if isinstance(answer.arguments, Mapping) and isinstance(answer.arguments.get('hash'), str):
        return str(answer.arguments['hash'])
    return None


def written_of(answer: Answer) -> ConfigWritten:
    """A `config-write` answer."""
    arguments = answer.arguments if isinstance(answer.arguments, Mapping) else {}
    filename, size = arguments.get('filename'), arguments.get('size')
    return ConfigWritten(
        filename if isinstance(filename, str) else None, size if isinstance(size, int) else None, answer.text
    )


def commands_of(endpoint: Endpoint, answer: Answer) -> tuple[str, ...]:
    """A `list-commands` answer: the command names."""
    if not isinstance(answer.arguments, list) or not all(isinstance(c, str) for c in answer.arguments):
        raise KeaProtocolError('list-commands answer is not a list of names', url=endpoint.url, command='list-commands')
    return tuple(answer.arguments)


def version_of(endpoint: Endpoint, answer: Answer) -> VersionInfo:
    """A `version-get` answer."""
    try:
        version = KeaVersion.parse(answer.text or '')
    except ValueError:
        raise KeaProtocolError(
            f'version-get text is not a version: {answer.text!r}', url=endpoint.url, command='version-get'
        ) from None
    extended = answer.arguments.get('extended') if isinstance(answer.arguments, Mapping) else None
    return VersionInfo(version, str(answer.text), extended if isinstance(extended, str) else None)


def parsed[T](endpoint: Endpoint, command: str, answer: Answer, parse: Callable[[Any], T]) -> T:
    """An answer's arguments through `parse` (status.py's parsers); a wrong shape names the endpoint and command."""
    try:
        return parse(answer.arguments)
    except KeaProtocolError as exc:
        raise KeaProtocolError(exc.message, url=endpoint.url, command=command) from None
