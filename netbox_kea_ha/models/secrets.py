"""
Write-only passwords on models: stored encrypted, or as a reference read on the NetBox host; each bound to where it
goes (docs/security.md).
"""

import hashlib
import json
from typing import Any

from django.utils.translation import gettext as _

from netbox.context import current_request

from ..crypto import SecretError, decrypt, encrypt, read_reference, validate_reference
from ..kea.redact import REDACTED, join_secrets, split_secrets

__all__ = (
    'ExtraSecretsMixin',
    'SecretsMixin',
    'request_user',
    'write_only_secret',
)

#: What stands for a value in `_loaded_secrets` that was not loaded (a deferred field).
_UNKNOWN = object()


def write_only_secret(name):
    """
    A write-only attribute for a password: assigning stores it encrypted (empty or None clears it), reading raises
    AttributeError. It lets `Model(password=...)`, `objects.create(...)` and REST serializers set a password.
    """

    def getter(self):
        raise AttributeError(f'{name} is write-only')

    def setter(self, value):
        self.set_secret(name, value)

    return property(getter, setter, doc=f'Write-only: assigning stores {name} encrypted; reading is refused.')


def request_user():
    """The user of the request (or job, see `services.context`) being handled, or None outside of one (a shell)."""
    request = current_request.get()
    return getattr(request, 'user', None) if request is not None else None


class SecretsMixin:
    """
    Gives a model write-only passwords, each bound to its destination.

    `secret_fields` maps each password's public name to (storage field, reference field, destination field). The
    storage field (its name starts with `_`, so sandboxed Jinja templates cannot read it, and it is not editable, so
    no form or serializer exposes it) holds a Fernet token; the reference field holds `env:NAME` or `file:/path`
    (allowed by the plugin's settings, set only by users with the model's `reference` permission). At most one of
    the two is set. The destination field records where the password goes (`secret_destination()`: a server's
    control endpoint, a peer's URL) when it was set:

    * saving the object with another destination and without giving the password (or its reference) again in the
      same change withdraws it: storage and reference are emptied, the destination field keeps where it was set
      for, and `get_secret()` refuses until it is set again or cleared;
    * `get_secret()` also refuses when the destination changed without the object being saved (an IP address
      edited, a setting changed): a password is never sent where it was not set for.

    Methods that reveal or change a password carry `alters_data = True`, so neither Django nor sandboxed Jinja
    templates can call them. The change log sees only whether a password is set (and a fingerprint of the randomly
    salted token, so that a new password still counts as a change) or withdrawn.
    """

    secret_fields: dict[str, tuple[str, str, str]] = {}

    @classmethod
    def from_db(cls, db, field_names, values):
        """Django's from_db(), remembering the stored secrets and references, to tell what a change gives anew."""
        instance = super().from_db(db, field_names, values)
        instance._loaded_secrets = {
            name: (instance.__dict__.get(storage, _UNKNOWN), instance.__dict__.get(ref, _UNKNOWN))
            for name, (storage, ref, _dest) in cls.secret_fields.items()
        }
        return instance

    def secret_destination(self, name: str) -> str:
        """Where the password `name` goes as the object stands now (a text; '' when it cannot go anywhere)."""
        raise NotImplementedError

    def _secret_label(self, name: str) -> str:
        return f'the {name.replace("_", " ")} of {self._meta.verbose_name} {str(self)!r}'

    def _given(self) -> set[str]:
        if not hasattr(self, '_secrets_given'):
            self._secrets_given = set()
        return self._secrets_given

    def set_secret(self, name, value):
        """Store a password (encrypted); an empty value or None clears it. Clears any reference."""
        if value not in (None, '') and not isinstance(value, str):
            raise SecretError(f'a password must be text, not {type(value).__name__}')
        storage, ref, _dest = self.secret_fields[name]
        setattr(self, storage, encrypt(value) if value else '')
        setattr(self, ref, '')
        self._given().add(name)

    set_secret.alters_data = True

    def set_secret_reference(self, name, reference):
        """Make a password a reference (`env:NAME` or `file:/path`); an empty value clears it. Clears a stored one."""
        storage, ref, _dest = self.secret_fields[name]
        setattr(self, ref, validate_reference(reference) if reference else '')
        setattr(self, storage, '')
        self._given().add(name)

    set_secret_reference.alters_data = True

    def mark_secret_given(self, name):
        """Say that this change gives the password (or its reference) again, as it stands: it stays bound to the
        object's destination even if that changes (a REST request that repeats the reference, for example)."""
        self._given().add(name)

    def clear_secret(self, name):
        """Remove a password, stored or referenced (also one that was withdrawn)."""
        storage, ref, _dest = self.secret_fields[name]
        setattr(self, storage, '')
        setattr(self, ref, '')
        self._given().add(name)

    clear_secret.alters_data = True

    def secret_given(self, name: str) -> bool:
        """True when this change gives the password or its reference: set, cleared or repeated (`mark_secret_given`),
        or a stored token or reference that differs from the one loaded from the database."""
        if name in self._given():
            return True
        storage, ref, _dest = self.secret_fields[name]
        loaded = getattr(self, '_loaded_secrets', {}).get(name)
        if loaded is None:  # a new object
            return bool(getattr(self, storage) or getattr(self, ref))
        token, reference = loaded
        return (token is not _UNKNOWN and getattr(self, storage) != token) or (
            reference is not _UNKNOWN and getattr(self, ref) != reference
        )

    def _reference_changed(self, name):
        _storage, ref, _dest = self.secret_fields[name]
        if not getattr(self, ref):
            return False
        loaded = getattr(self, '_loaded_secrets', {}).get(name)
        return loaded is None or name in self._given() or getattr(self, ref) != loaded[1]

    def clean_secrets(self):
        """
        Check each password reference (its form, the settings' allow-list, and the `reference` permission of the
        user making the change when the reference is new or given again), and drop the stored password a reference
        replaces (a REST PATCH or a bulk edit may set the reference alone). The errors, by reference field.
        """
        errors = {}
        for name, (storage, ref, _dest) in self.secret_fields.items():
            reference = getattr(self, ref)
            if not reference:
                continue
            try:
                setattr(self, ref, validate_reference(reference))
            except SecretError as exc:
                errors[ref] = str(exc)
                continue
            if self._reference_changed(name) and not self._may_set_reference():
                errors[ref] = _(
                    'Setting where a password is read from needs the "reference" permission on {model}s '
                    '(netbox_kea_ha.reference_{name}); give the password itself instead.'
                ).format(model=self._meta.verbose_name, name=self._meta.model_name)
                continue
            setattr(self, storage, '')
        return errors

    clean_secrets.alters_data = True

    def _may_set_reference(self):
        user = request_user()
        if user is None:  # a shell or a migration: the administrator
            return True
        permission = f'{self._meta.app_label}.reference_{self._meta.model_name}'
        return user.has_perm(permission, self if self.pk else None)

    def bind_secrets(self):
        """
        Before a save: bind each password given in this change to the object's destination; withdraw a password
        whose destination changed without it being given again (see the class docstring).
        """
        for name, (storage, ref, dest) in self.secret_fields.items():
            has = bool(getattr(self, storage) or getattr(self, ref))
            if self.secret_given(name):
                setattr(self, dest, self.secret_destination(name) if has else '')
            elif has and getattr(self, dest) != self.secret_destination(name):
                setattr(self, storage, '')
                setattr(self, ref, '')

    bind_secrets.alters_data = True

    def save(self, *args, **kwargs):
        """Bind or withdraw the passwords (`bind_secrets`), then save; what was given is then the stored state. A save
        of some fields only (`update_fields`: a job recording state) leaves the passwords as they are."""
        if kwargs.get('update_fields') is None:
            self.bind_secrets()
        super().save(*args, **kwargs)
        self._loaded_secrets = {
            name: (getattr(self, storage), getattr(self, ref))
            for name, (storage, ref, _dest) in self.secret_fields.items()
        }
        self._secrets_given = set()

    save.alters_data = True

    def has_secret(self, name: str) -> bool:
        """True when the password is set, stored or as a reference."""
        storage, ref, _dest = self.secret_fields[name]
        return bool(getattr(self, storage) or getattr(self, ref))

    def secret_withdrawn(self, name: str) -> bool:
        """True when the password was withdrawn because its destination changed, and was not set again or cleared."""
        _storage, _ref, dest = self.secret_fields[name]
        return not self.has_secret(name) and bool(getattr(self, dest))

    def secret_problem(self, name: str) -> str | None:
        """Why the password cannot be used as the object stands (withdrawn, or set for another destination), or
        None. Reads nothing: no decryption, no reference."""
        _storage, _ref, dest = self.secret_fields[name]
        bound = getattr(self, dest)
        if self.secret_withdrawn(name):
            return (
                f'{self._secret_label(name)} was withdrawn when where it goes changed (it was set for {bound}): '
                'set it again, or clear it'
            )
        if not self.has_secret(name) or self.secret_given(name):
            return None  # nothing to send; or given in this change, which binds it to where it goes now
        _storage, ref, _dest = self.secret_fields[name]
        if reference := getattr(self, ref):
            try:
                validate_reference(reference)  # the settings may have changed since it was saved
            except SecretError as exc:
                return f'{self._secret_label(name)}: {exc}'
        now = self.secret_destination(name)
        if bound != now:
            return (
                f'{self._secret_label(name)} was set for {bound or "an unknown destination"}; it would now go to '
                f'{now or "nowhere"}: set it again'
            )
        return None

    def get_secret(self, name: str) -> str | None:
        """
        The password in clear (decrypted, or read from its reference), or None when none is set. Raises SecretError
        if it cannot be read, or if it would go anywhere but where it was set for (`secret_problem`).
        """
        if problem := self.secret_problem(name):
            raise SecretError(problem)
        storage, ref, _dest = self.secret_fields[name]
        if getattr(self, ref):
            try:
                return read_reference(getattr(self, ref))
            except SecretError as exc:
                raise SecretError(f'{self._secret_label(name)}: {exc}') from None
        if getattr(self, storage):
            return decrypt(getattr(self, storage), what=self._secret_label(name))
        return None

    get_secret.alters_data = True

    def secret_state(self, name):
        """What the change log records for a password: None, `<withdrawn>` or `<encrypted fingerprint>`."""
        storage, _ref, _dest = self.secret_fields[name]
        token = getattr(self, storage)
        if not token:
            return '<withdrawn>' if self.secret_withdrawn(name) else None
        return f'<encrypted {hashlib.sha256(token.encode()).hexdigest()[:12]}>'

    def serialize_object(self, exclude=None):
        """NetBox's change-log serialization, with every stored token replaced by `secret_state()`."""
        data = super().serialize_object(exclude=exclude)
        for name, (storage, _ref, dest) in self.secret_fields.items():
            data.pop(storage, None)
            data.pop(dest, None)
            data[name] = self.secret_state(name)
        return data

    def serializable_value(self, field_name):
        """Django's serializable_value(), refusing the storage fields of passwords."""
        if any(field_name == storage for storage, _r, _d in self.secret_fields.values()):
            raise AttributeError(f'{field_name} is write-only')
        return super().serializable_value(field_name)


class ExtraSecretsMixin:
    """
    Secrets inside `extra_parameters`, kept encrypted apart from them.

    Kea accepts and echoes unknown keys, so the running config an import reads may hold a secret (`password`,
    `*-password`, `secret`, `token`, ...) in a key no field models. The import keeps such a value encrypted in
    `_extra_secrets` (with the paths of the secrets, which are not secret, and the destination it was read for) and
    leaves `REDACTED` in its place in `extra_parameters`, so pages, REST, GraphQL and the change log show the
    placeholder. A user may keep a placeholder (and so the secret) or remove it, but never type a secret there
    (`extra_secrets_error`). A push puts the values back (`revealed_extra_parameters`), only to the destination they
    were read for.
    """

    def extra_secrets_destination(self) -> str:
        """Where the secrets of `extra_parameters` go (the model's own destination text)."""
        raise NotImplementedError

    def keep_extra_secrets(self, extra):
        """Set `extra_parameters` to `extra` with its secrets taken out and kept encrypted."""
        redacted, found = split_secrets(extra)
        self.extra_parameters = redacted
        self._extra_secrets = (
            {
                'paths': [path for path, _ in found],
                'token': encrypt(json.dumps(found)),
                'destination': self.extra_secrets_destination(),
            }
            if found
            else {}
        )

    keep_extra_secrets.alters_data = True

    def extra_secrets_error(self, secret_field=None):
        """Why `extra_parameters` cannot be stored: a secret in clear (only placeholders of kept secrets may stand
        where a secret key is), or None. `secret_field` names the field meant for a secret, if the model has one."""
        kept = {json.dumps(path) for path in (self._extra_secrets or {}).get('paths', [])}
        _redacted, found = split_secrets(self.extra_parameters or {}, placeholders=True)
        for path, value in found:
            if value == REDACTED and json.dumps(path) in kept:
                continue
            key = '.'.join(str(step) for step in path)
            where = (
                _('set it in the {field} field').format(field=secret_field)
                if secret_field
                else _('NetBox keeps no secret in clear here; an import of the running config keeps it encrypted')
            )
            return _("'{key}' is a secret and is not stored in extra parameters: {where}.").format(key=key, where=where)
        return None

    def revealed_extra_parameters(self) -> dict[str, Any]:
        """`extra_parameters` with the kept secrets put back (for a push). Raises SecretError when they were read for
        another destination, or cannot be decrypted."""
        kept = self._extra_secrets or {}
        if not kept:
            return dict(self.extra_parameters or {})
        label = f'the secret extra parameters of {self._meta.verbose_name} {str(self)!r}'
        if kept.get('destination') != self.extra_secrets_destination():
            raise SecretError(
                f'{label} were read for {kept.get("destination")}; they would now go to '
                f'{self.extra_secrets_destination()}: import again, or remove them'
            )
        secrets = json.loads(decrypt(kept['token'], what=label))
        return join_secrets(dict(self.extra_parameters or {}), [(path, value) for path, value in secrets])

    revealed_extra_parameters.alters_data = True

    def serialize_object(self, exclude=None):
        """NetBox's change-log serialization, without the encrypted secrets of `extra_parameters`."""
        data = super().serialize_object(exclude=exclude)
        data.pop('_extra_secrets', None)
        return data

    def serializable_value(self, field_name):
        """Django's serializable_value(), refusing the encrypted secrets of `extra_parameters`."""
        if field_name == '_extra_secrets':
            raise AttributeError(f'{field_name} is write-only')
        return super().serializable_value(field_name)
