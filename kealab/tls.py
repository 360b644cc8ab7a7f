"""Throw-away certificate authority and certificates for TLS on the lab's Control Agents (made with `cryptography`)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ('CertificateAuthority', 'TLSFiles')


@dataclass(frozen=True)
class TLSFiles:
    """PEM files of one party: the CA bundle that verifies the others, its own certificate and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


class CertificateAuthority:
    """A self-signed CA kept in `directory` (`ca.pem`, `ca.key`) that issues leaf certificates for 127.0.0.0/8."""

    def __init__(self, directory: Path, name: str = 'kealab test CA') -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        #: The CA certificate (PEM): the trust anchor / `verify` bundle.
        self.ca_file = directory / 'ca.pem'
        self.ca_file.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        _write_key(self._key, directory / 'ca.key')

    def issue(self, name: str, addresses: tuple[str, ...] = ('127.0.0.1',), directory: Path | None = None) -> TLSFiles:
        """A certificate for `name` valid for server and client authentication, with the addresses as IP SANs.

        The files (and a copy of the CA certificate) go to `directory` (default: the CA's own directory), so that a
        daemon in a chroot can read them.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(name)] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        target = directory or self.directory
        target.mkdir(parents=True, exist_ok=True)
        ca_file = self.ca_file
        if target != self.directory:
            ca_file = target / 'ca.pem'
            ca_file.write_bytes(self.ca_file.read_bytes())
        cert_file = target / f'{name}.pem'
        key_file = target / f'{name}.key'
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, key_file)
        return TLSFiles(ca_file, cert_file, key_file)
