"""Write-only passwords on models: stored encrypted, or as a reference read on the NetBox host."""

import hashlib

from ..crypto import SecretError, decrypt, encrypt, read_reference, validate_reference

__all__ = (
    'SecretsMixin',
    'write_only_secret',
)


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


class SecretsMixin:
    """
    Gives a model write-only passwords.

    `secret_fields` maps each password's public name to (storage field, reference field). The storage field (its
    name starts with `_`, so sandboxed Jinja templates cannot read it, and it is not editable, so no form or
    serializer exposes it) holds a Fernet token; the reference field holds `env:NAME` or `file:/path`. At most one
    of the two is set. Methods that reveal or change a password carry `alters_data = True`, so neither Django nor
    sandboxed Jinja templates can call them. The change log sees only whether a password is set, and a fingerprint
    of the (randomly salted) token so that a new password still counts as a change.
    """

    secret_fields: dict[str, tuple[str, str]] = {}

    def _secret_label(self, name):
        return f'the {name.replace("_", " ")} of {self._meta.verbose_name} {str(self)!r}'

    def set_secret(self, name, value):
        """Store a password (encrypted); an empty value or None clears it. Clears any reference."""
        storage, ref = self.secret_fields[name]
        setattr(self, storage, encrypt(value) if value else '')
        setattr(self, ref, '')

    set_secret.alters_data = True

    def set_secret_reference(self, name, reference):
        """Make a password a reference (`env:NAME` or `file:/path`); an empty value clears it. Clears a stored one."""
        storage, ref = self.secret_fields[name]
        setattr(self, ref, validate_reference(reference) if reference else '')
        setattr(self, storage, '')

    set_secret_reference.alters_data = True

    def clear_secret(self, name):
        """Remove a password, stored or referenced."""
        storage, ref = self.secret_fields[name]
        setattr(self, storage, '')
        setattr(self, ref, '')

    clear_secret.alters_data = True

    def clean_secrets(self):
        """
        Check the form of each password reference, and drop the stored password a reference replaces (a REST PATCH
        or a bulk edit may set the reference alone). The errors, by reference field.
        """
        errors = {}
        for storage, ref in self.secret_fields.values():
            reference = getattr(self, ref)
            if not reference:
                continue
            try:
                setattr(self, ref, validate_reference(reference))
            except SecretError as exc:
                errors[ref] = str(exc)
                continue
            setattr(self, storage, '')
        return errors

    clean_secrets.alters_data = True

    def has_secret(self, name):
        """True when the password is set, stored or as a reference."""
        storage, ref = self.secret_fields[name]
        return bool(getattr(self, storage) or getattr(self, ref))

    def get_secret(self, name):
        """The password in clear (decrypted, or read from its reference), or None. Raises SecretError if it cannot."""
        storage, ref = self.secret_fields[name]
        if getattr(self, ref):
            return read_reference(getattr(self, ref))
        if getattr(self, storage):
            return decrypt(getattr(self, storage), what=self._secret_label(name))
        return None

    get_secret.alters_data = True

    def secret_state(self, name):
        """What the change log records for a password: None, or `<encrypted fingerprint>`."""
        storage, _ = self.secret_fields[name]
        token = getattr(self, storage)
        if not token:
            return None
        return f'<encrypted {hashlib.sha256(token.encode()).hexdigest()[:12]}>'

    def serialize_object(self, exclude=None):
        """NetBox's change-log serialization, with every stored token replaced by `secret_state()`."""
        data = super().serialize_object(exclude=exclude)
        for name, (storage, _) in self.secret_fields.items():
            data.pop(storage, None)
            data[name] = self.secret_state(name)
        return data

    def serializable_value(self, field_name):
        """Django's serializable_value(), refusing the storage fields of passwords."""
        if any(field_name == storage for storage, _ in self.secret_fields.values()):
            raise AttributeError(f'{field_name} is write-only')
        return super().serializable_value(field_name)
