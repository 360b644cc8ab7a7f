"""
Rendering a Kea server's `hooks-libraries` block (the lease_cmds entry, then the HA entry with this server's
relationships) from the Jinja2 templates in the top-level `templates/` folder.

The templates run in Jinja's `ImmutableSandboxedEnvironment` with `StrictUndefined` (a missing variable is an
error, not an empty string); every value goes through `tojson`. The output is parsed back with `json.loads` and
validated (`validate_hooks_libraries` for the server's Kea version): any error raises `RenderError`, so what
`render_hooks_libraries` returns is what Kea will load. Only parameters that are set are rendered, in
`Relationship.to_kea()` order: Kea fills in its own, version-dependent defaults.

Templates are looked up in the user's directories first (`template_dirs`, first match wins, includes too), then
in the shipped ones: `netbox_kea_ha/kea_templates` inside an installed wheel, or `<repo>/templates` in a source
checkout. docs/templates.md describes the context the templates receive and how to override them.

The rendered block carries the peers' `basic-auth-password` in clear (Kea needs it); pass it through
`redact.redact_secrets` before showing or storing it. Error messages never contain those passwords.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.filters import do_tojson
from jinja2.nodes import EvalContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .findings import Finding, errors
from .ha import (
    BARE_LIBRARY_SINCE,
    DHCP_MT_DEFAULT_SINCE,
    HA_LIBRARY,
    HUB_AND_SPOKE_SINCE,
    LEASE_CMDS_LIBRARY,
    OLDEST_VERSION,
    KeaVersion,
    Relationship,
    parameter,
)
from .redact import REDACTED, redact_secrets
from .validate import validate_hooks_libraries

__all__ = (
    'TOP_TEMPLATE',
    'RenderContext',
    'RenderError',
    'RenderedBlock',
    'render_hooks_block',
    'render_hooks_libraries',
    'shipped_template_dir',
    'template_context',
    'template_environment',
    'template_search_path',
)

#: The template that renders the whole `hooks-libraries` list (it includes the others).
TOP_TEMPLATE = 'hooks-libraries.json.j2'
_FAMILIES = ('dhcp4', 'dhcp6')


class RenderError(ValueError):
    """Rendering failed: names the template, line and cause, or lists the validation errors of the output."""

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        line: int | None = None,
        findings: Sequence[Finding] = (),
    ) -> None:
        super().__init__(message)
        #: The template at fault, when a template is.
        self.template = template
        #: Its line, when known.
        self.line = line
        #: The validation findings of the rendered output (errors and warnings), when validation failed.
        self.findings = tuple(findings)


@dataclass(frozen=True)
class RenderContext:
    """What one server's `hooks-libraries` block is rendered from."""

    #: This server's `this-server-name` in the first relationship.
    server_tag: str
    #: Kea's hooks directory on that server, e.g. '/usr/lib/x86_64-linux-gnu/kea/hooks' ('' : bare library
    #: names, which need Kea >= 2.6.3).
    hooks_dir: str
    #: 'dhcp4' or 'dhcp6'.
    family: str
    #: The relationships as seen from this server (`this_server_name` set in each; None in the first one is
    #: taken as `server_tag`). Kea 2.2: exactly one; Kea >= 2.6: several (hub-and-spoke).
    relationships: tuple[Relationship, ...]
    #: The server's Kea version (None: treated as 2.2 by validation).
    kea_version: KeaVersion | None = None
    #: Render the libdhcp_lease_cmds.so entry before the HA entry (HA needs it on every peer).
    lease_cmds: bool = True


@dataclass(frozen=True)
class RenderedBlock:
    """A rendered `hooks-libraries` list and the validation findings for it."""

    hooks_libraries: list[dict[str, Any]]
    findings: tuple[Finding, ...]

    def __repr__(self) -> str:
        shown = redact_secrets(self.hooks_libraries)
        return f'RenderedBlock(hooks_libraries={shown!r}, findings={self.findings!r})'

    @property
    def errors(self) -> list[Finding]:
        """The errors among the findings (Kea would refuse the block)."""
        return errors(self.findings)


# --------------------------------------------------------------------------------------------------------------
# Where the templates are
# --------------------------------------------------------------------------------------------------------------


def shipped_template_dir() -> Path | None:
    """The shipped templates: `kea_templates` next to this package in a wheel, else `<repo>/templates`."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / 'kea_templates', package.parent / 'templates'):
        if (candidate / TOP_TEMPLATE).is_file():
            return candidate
    return None


def template_search_path(template_dirs: Iterable[str | Path] = ()) -> list[Path]:
    """Where templates are looked up, in order: the user's directories, then the shipped templates.

    Raises RenderError when a user directory does not exist.
    """
    path: list[Path] = []
    for entry in template_dirs:
        directory = Path(entry).expanduser()
        if not directory.is_dir():
            raise RenderError(f'template directory {str(directory)!r} does not exist or is not a directory')
        path.append(directory.resolve())
    shipped = shipped_template_dir()
    if shipped is not None:
        path.append(shipped)
    return path


@lru_cache(maxsize=32)
def _environment(search_path: tuple[str, ...]) -> jinja2.Environment:
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(search_path)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
    )
    # Keep the order of keys (Jinja's default sorts them), and say "undefined" for an undefined value.
    env.policies['json.dumps_kwargs'] = {'sort_keys': False}
    env.filters['tojson'] = _tojson
    return env


def template_environment(template_dirs: Iterable[str | Path] = ()) -> jinja2.Environment:
    """The sandboxed Jinja2 environment over `template_search_path(template_dirs)` (cached per search path)."""
    return _environment(tuple(str(p) for p in template_search_path(template_dirs)))


@jinja2.pass_eval_context
def _tojson(eval_ctx: EvalContext, value: Any, indent: int | None = None) -> Markup:
    """Jinja's `tojson`, but an undefined value raises UndefinedError (naming it) instead of a TypeError."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError: "'name' is undefined"
    return do_tojson(eval_ctx, value, indent)


# --------------------------------------------------------------------------------------------------------------
# The context the templates see
# --------------------------------------------------------------------------------------------------------------


def _check_context(context: RenderContext) -> tuple[Relationship, ...]:
    if context.family not in _FAMILIES:
        raise RenderError(f"family must be 'dhcp4' or 'dhcp6', not {context.family!r}")
    if not isinstance(context.server_tag, str) or not context.server_tag.strip():
        raise RenderError(f'server_tag must be a non-empty string, not {context.server_tag!r}')
    if not isinstance(context.hooks_dir, str):
        raise RenderError(f'hooks_dir must be a string, not {type(context.hooks_dir).__name__}')
    version = context.kea_version or OLDEST_VERSION
    if not context.hooks_dir.strip() and version < BARE_LIBRARY_SINCE:
        raise RenderError(
            f'hooks_dir is empty: Kea {version} needs the full path of each hook library (bare library names need '
            f"Kea {BARE_LIBRARY_SINCE} or later); set the server's hooks directory"
        )
    rels = tuple(context.relationships)
    if not rels:
        raise RenderError(f'no relationship to render for server {context.server_tag!r}')
    fixed: list[Relationship] = []
    for index, rel in enumerate(rels):
        if not isinstance(rel, Relationship):
            raise RenderError(f'relationships[{index}] must be a Relationship, not {type(rel).__name__}')
        if rel.this_server_name is None:
            if index:
                raise RenderError(f'relationships[{index}] has no this_server_name')
            rel = rel.with_server(context.server_tag)
        fixed.append(rel)
    if fixed[0].this_server_name != context.server_tag:
        raise RenderError(
            f'server_tag {context.server_tag!r} is not the this-server-name of the first relationship '
            f'({fixed[0].this_server_name!r})'
        )
    return tuple(fixed)


def _library(hooks_dir: str, name: str) -> str:
    directory = hooks_dir.strip().rstrip('/')
    return f'{directory}/{name}' if directory else name


def template_context(context: RenderContext) -> dict[str, Any]:
    """The variables the templates receive (documented in docs/templates.md). Raises RenderError on bad input."""
    rels = _check_context(context)
    version = context.kea_version
    effective = version or OLDEST_VERSION
    relationships = []
    for rel in rels:
        kea = rel.to_kea()
        keys = list(kea)
        peers_at = keys.index('peers')
        relationships.append(
            {
                'this_server_name': kea['this-server-name'],
                'mode': kea['mode'],
                'parameters': {k: kea[k] for k in keys[2:peers_at]},
                'peers': [peer.to_kea() for peer in rel.peers],
                'extra': {k: kea[k] for k in keys[peers_at + 1 :]},
            }
        )
    return {
        'server_tag': context.server_tag,
        'family': context.family,
        'hooks_dir': context.hooks_dir,
        'kea_version': str(version) if version is not None else None,
        'kea_version_info': (version.major, version.minor, version.patch) if version is not None else None,
        'lease_cmds': context.lease_cmds,
        'libraries': {
            'lease_cmds': _library(context.hooks_dir, LEASE_CMDS_LIBRARY),
            'ha': _library(context.hooks_dir, HA_LIBRARY),
        },
        'relationships': relationships,
        'features': {
            'hub_and_spoke': effective >= HUB_AND_SPOKE_SINCE,
            'bare_library_names': effective >= BARE_LIBRARY_SINCE,
            'dhcp_multi_threading_default': effective >= DHCP_MT_DEFAULT_SINCE,
            'ha_multi_threading_default': parameter('multi-threading.enable-multi-threading').default_for(version),
        },
    }


# --------------------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------------------


def _secrets(context: RenderContext) -> list[str]:
    found = {
        p.basic_auth_password
        for rel in context.relationships
        if isinstance(rel, Relationship)
        for p in rel.peers
        if isinstance(p.basic_auth_password, str) and p.basic_auth_password
    }
    return sorted(found, key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template frame of a rendering exception (Jinja rewrites tracebacks to template lines)."""
    name: str | None = None
    line: int | None = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith('.j2'):
            name, line = Path(filename).name, tb.tb_lineno
        tb = tb.tb_next
    return name, line


def _render_text(context: RenderContext, template_dirs: Iterable[str | Path]) -> tuple[str, list[str]]:
    values = template_context(context)
    secrets = _secrets(context)
    search_path = template_search_path(template_dirs)
    where = ', '.join(str(p) for p in search_path) or 'no directory'
    env = _environment(tuple(str(p) for p in search_path))
    try:
        template = env.get_template(TOP_TEMPLATE)
        return template.render(values), secrets
    except jinja2.TemplateSyntaxError as exc:
        name = exc.name or (Path(exc.filename).name if exc.filename else TOP_TEMPLATE)
        message = _scrub(f'template {name!r}, line {exc.lineno}: syntax error: {exc.message}', secrets)
        raise RenderError(message, template=name, line=exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        missing = str(exc.name)
        raise RenderError(f'template {missing!r} not found (looked in: {where})', template=missing) from None
    except Exception as exc:  # anything a template can raise: undefined, sandbox security, type errors, ...
        frame, line = _template_frame(exc)
        kind = 'undefined variable' if isinstance(exc, jinja2.UndefinedError) else type(exc).__name__
        at = f'template {frame!r}, line {line}' if frame else f'template {TOP_TEMPLATE!r}'
        raise RenderError(_scrub(f'{at}: {kind}: {exc}', secrets), template=frame, line=line) from None


def render_hooks_block(context: RenderContext, *, template_dirs: Sequence[str | Path] = ()) -> RenderedBlock:
    """Render and validate, without raising on validation errors (for showing a block and its findings).

    Template problems (syntax, undefined variable, output that is not a JSON list of maps) still raise
    RenderError.
    """
    text, secrets = _render_text(context, template_dirs)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f'template {TOP_TEMPLATE!r} did not produce JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} '
            'of its output',
            template=TOP_TEMPLATE,
        ) from None
    if not isinstance(data, list) or not all(isinstance(entry, Mapping) for entry in data):
        raise RenderError(
            f'template {TOP_TEMPLATE!r} must produce a JSON list of hook library maps, got '
            f'{type(data).__name__}' + (' with other items' if isinstance(data, list) else ''),
            template=TOP_TEMPLATE,
        )
    findings = tuple(
        replace(f, message=_scrub(f.message, secrets))
        for f in validate_hooks_libraries(data, version=context.kea_version, hooks_dir=context.hooks_dir or None)
    )
    return RenderedBlock(data, findings)


def render_hooks_libraries(context: RenderContext, *, template_dirs: Sequence[str | Path] = ()) -> list[dict[str, Any]]:
    """The server's `hooks-libraries` list, rendered, parsed and validated; RenderError on any error."""
    block = render_hooks_block(context, template_dirs=template_dirs)
    if block.errors:
        listed = '; '.join(f'{f.field}: {f.message}' for f in block.errors)
        raise RenderError(
            f'the rendered hooks-libraries of {context.server_tag!r} would be refused by Kea: {listed}',
            findings=block.findings,
        )
    return block.hooks_libraries
