"""
Checks of values a user types: host names, URLs, user names, file paths and JSON values. Plain functions of plain
values (no Django, no network), used by the models' `clean()`, the settings check and the importer. Each returns the
reason a value is refused (a sentence that never quotes the value: it may be a password typed in the wrong field),
or None when the value is fine.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
from typing import Any

__all__ = (
    'JSON_MAX_BYTES',
    'JSON_MAX_DEPTH',
    'JSON_MAX_ITEMS',
    'absolute_path',
    'host_error',
    'json_bounds_error',
    'path_error',
    'url_text_error',
    'username_error',
)

#: Bounds of a JSON value a user may store (`extra_parameters`, `state_machine`): nesting, serialised size, and the
#: number of keys and list items at all levels. Kea's HA entries are a few levels deep and a few hundred bytes.
JSON_MAX_DEPTH = 16
JSON_MAX_BYTES = 64 * 1024
JSON_MAX_ITEMS = 2000

_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_LABEL = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def host_error(value: str) -> str | None:
    """
    Why `value` is not a host to connect to: an IPv4 or IPv6 address (no brackets) or a DNS host name (letters,
    digits and hyphens in dot-separated labels). Schemes, ports, paths, user info and spaces are refused.
    """
    if not isinstance(value, str) or not value:
        return 'must be an IP address or a host name'
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return None
    name = value[:-1] if value.endswith('.') else value
    if len(name) > 253 or not name or not all(_LABEL.match(label) for label in name.split('.')):
        return (
            'must be an IP address or a host name (letters, digits, hyphens and dots): no scheme, port, path, '
            'user, brackets or spaces'
        )
    if name.replace('.', '').isdigit():
        return 'must be an IP address or a host name: this looks like neither'
    return None


def username_error(value: str) -> str | None:
    """Why `value` cannot be a basic-auth user name: it holds a colon (HTTP basic auth splits on the first one) or
    a control character."""
    if ':' in value:
        return 'must not contain ":" (HTTP basic authentication separates the user and the password with it)'
    if _CONTROL.search(value):
        return 'must not contain control characters (line breaks, tabs, ...)'
    return None


def url_text_error(value: str) -> str | None:
    """Why `value` cannot be a URL NetBox renders or connects to: control characters, spaces, or user info (a
    `user:password@` part). Kea's own URL rules are checked by the relationship validation."""
    if _CONTROL.search(value):
        return 'must not contain control characters (line breaks, tabs, ...)'
    if any(c.isspace() for c in value):
        return 'must not contain spaces'
    _, sep, rest = value.partition('://')
    authority = rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0] if sep else ''
    if '@' in authority:
        return 'must not contain a user or password (user:password@): use the basic-auth fields'
    return None


def path_error(value: str) -> str | None:
    """Why `value` is not an absolute file path without `..` (control characters are refused too)."""
    if _CONTROL.search(value):
        return 'must not contain control characters (line breaks, tabs, ...)'
    if not value.startswith('/'):
        return 'must be an absolute path (starting with /)'
    if '..' in value.split('/'):
        return 'must not contain ".." components'
    return None


def absolute_path(value: str) -> str:
    """An absolute path without `..` in its normal form: `//`, `/./` and a trailing slash removed."""
    normal = posixpath.normpath(value)
    return '/' + normal.lstrip('/') if normal.startswith('//') else normal


def json_bounds_error(value: Any) -> str | None:
    """Why a JSON value is too big to store: nested deeper than JSON_MAX_DEPTH, more than JSON_MAX_ITEMS keys and
    list items, or more than JSON_MAX_BYTES once serialised. Walks iteratively: a value nested thousands of levels
    deep is measured, not a RecursionError."""
    items = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > JSON_MAX_DEPTH:
                return f'is nested more than {JSON_MAX_DEPTH} levels deep'
            children = list(node.values()) if isinstance(node, dict) else list(node)
            items += len(children)
            if items > JSON_MAX_ITEMS:
                return f'holds more than {JSON_MAX_ITEMS} keys and list items'
            stack.extend((child, depth + 1) for child in children)
    try:
        size = len(json.dumps(value, ensure_ascii=False).encode())
    except (TypeError, ValueError):
        return 'is not a JSON value'
    if size > JSON_MAX_BYTES:
        return f'is {size} bytes as JSON; at most {JSON_MAX_BYTES}'
    return None
