"""The serving certificate: a TLS 1.2+ server context from PEM files (each mistake a one-line error naming the
file), reloaded in place when the files change on disk (cert-manager renews them), its expiry time, and a
log line for each TLS handshake that fails (a wrong caBundle shows up here first).
"""

from __future__ import annotations

import base64
import calendar
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

MAX_PEM = 1024 * 1024  # bytes read from a certificate or key file to check that it holds PEM

_PEM_MARKERS = {
    "certificate": re.compile(rb"-----BEGIN CERTIFICATE-----"),
    "key": re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
}
_PEM_LINES = {"certificate": "-----BEGIN CERTIFICATE-----", "key": "-----BEGIN ... PRIVATE KEY-----"}
_FIRST_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)

HANDSHAKE_REASONS = {
    "HTTP_REQUEST": "plain HTTP sent to the HTTPS port",
    "UNSUPPORTED_PROTOCOL": "the client offers only TLS versions older than 1.2",
    "WRONG_VERSION_NUMBER": "not a TLS client",
    "UNEXPECTED_EOF_WHILE_READING": "the client closed the connection",
    "TLSV1_ALERT_UNKNOWN_CA": "the client does not trust the certificate's CA (check the webhook's caBundle)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the client rejected the certificate (check its names and the caBundle)",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "the client rejected the certificate (check its names and the caBundle)",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "the client says the certificate has expired",
}


# OpenSSL's reasons when a key does not go with the certificate, in words.
PAIR_REASONS = {
    "KEY_VALUES_MISMATCH": "key values mismatch",
    "NO_CERTIFICATE_ASSIGNED": "the key is not of the certificate's type (an RSA key for an ECDSA certificate?)",
}


class CertificateError(ValueError):
    """A certificate or key that cannot be served, in one line naming the file."""


@dataclass(frozen=True)
class FilesSeen:
    """What the certificate and key files were when last read: a change means a new pair may be there."""

    signature: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(cls, *paths: str) -> FilesSeen:
        stats = []
        for path in paths:
            try:
                status = os.stat(path)  # follows the symlinks a mounted Secret swaps
            except OSError:
                stats.append((0, 0, -1))
                continue
            stats.append((status.st_ino, status.st_mtime_ns, status.st_size))
        return cls(tuple(stats))


def check_files(cert: str, key: str) -> None:
    """CertificateError unless both files can be read and hold PEM of their kind."""
    for path, what in ((cert, "certificate"), (key, "key")):
        try:
            with open(path, "rb") as handle:
                pem = handle.read(MAX_PEM)
        except OSError as exc:
            raise CertificateError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from None
        if not _PEM_MARKERS[what].search(pem):
            raise CertificateError(f"the TLS {what} {path} holds no PEM {what} (no '{_PEM_LINES[what]}' line)")


def load_pair(context: ssl.SSLContext, cert: str, key: str) -> None:
    """Load the certificate chain and key into the context; CertificateError when they do not go together
    or cannot be read."""

    def no_password() -> str:
        raise CertificateError(f"the TLS key {key} is encrypted; give an unencrypted key")

    try:
        context.load_cert_chain(cert, key, password=no_password)
    except ssl.SSLError as exc:
        if exc.reason in PAIR_REASONS:
            reason = PAIR_REASONS[exc.reason]
        else:
            reason = ssl_reason(exc) if exc.reason else f"OpenSSL cannot read them ({ssl_reason(exc)})"
        raise CertificateError(f"cannot use the TLS certificate {cert} with the key {key}: {reason}") from None
    except OSError as exc:  # the files went away between the check and the load
        raise CertificateError(f"cannot read the TLS certificate {cert} or key {key}: {exc.strerror or exc}") from None


def server_context(cert: str, key: str, on_handshake_failure: Callable[[str], None]) -> ssl.SSLContext:
    """A TLS 1.2+ server context serving the pair, whose failed handshakes are reported one line each."""
    check_files(cert, key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_pair(context, cert, key)
    context.sslobject_class = _reporting_ssl_object(on_handshake_failure)
    return context


def _reporting_ssl_object(on_failure: Callable[[str], None]) -> type[ssl.SSLObject]:
    """An SSLObject class (SSLContext.sslobject_class, which the event loop's TLS layer creates for each
    connection through wrap_bio) that reports a handshake that fails, with the reason in words."""

    class ReportingSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            try:
                super().do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except ssl.SSLError as exc:
                on_failure(handshake_reason(exc))
                raise

    return ReportingSSLObject


def handshake_reason(exc: ssl.SSLError) -> str:
    return HANDSHAKE_REASONS.get(exc.reason or "") or ssl_reason(exc)


def ssl_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason in words: 'KEY_VALUES_MISMATCH' -> 'key values mismatch'; without a reason code,
    its message without the source place ('[SSL] PEM lib (_ssl.c:3905)' -> 'PEM lib')."""
    if exc.reason:
        return exc.reason.replace("_", " ").lower()
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", exc.strerror or str(exc))
    return re.sub(r"^\[\w+\]\s*", "", text) or "unknown error"


class Reloader:
    """Keeps a live server context serving the files on disk: when they change, the new pair is checked on
    a scratch context first and only then loaded into the live one, so a half-written pair (or a key that
    does not match) leaves the old certificate in service; new handshakes get the new one, without a restart."""

    def __init__(self, context: ssl.SSLContext, cert: str, key: str) -> None:
        self.context, self.cert, self.key = context, cert, key
        self.seen = FilesSeen.of(cert, key)
        self.expiry = certificate_expiry(cert)

    def check(self) -> bool | None:
        """Reload when the files changed: True when a new pair was loaded, None when nothing changed;
        CertificateError when the new files cannot be served (the old pair stays; tried again next time)."""
        seen = FilesSeen.of(self.cert, self.key)
        if seen == self.seen:
            return None
        self.seen = seen
        check_files(self.cert, self.key)
        load_pair(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), self.cert, self.key)
        load_pair(self.context, self.cert, self.key)
        self.expiry = certificate_expiry(self.cert)
        return True


def certificate_expiry(path: str) -> float | None:
    """The notAfter time (Unix seconds) of the first certificate in a PEM file, if it can be read."""
    try:
        with open(path, "rb") as handle:
            pem = handle.read(MAX_PEM)
    except OSError:
        return None
    found = _FIRST_CERTIFICATE.search(pem)
    if found is None:
        return None
    try:
        return not_after(base64.b64decode(b"".join(found.group(1).split()), validate=True))
    except (ValueError, IndexError):
        return None


def not_after(der: bytes) -> float:
    """The notAfter of a DER X.509 certificate (RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate
    SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity SEQUENCE { notBefore,
    notAfter }, ... } }), as Unix seconds. ValueError when it is not shaped so."""
    tag, start, _ = _element(der, 0)
    _expect(tag, 0x30, "Certificate")
    tag, at, _ = _element(der, start)
    _expect(tag, 0x30, "tbsCertificate")
    tag, _, end = _element(der, at)
    if tag == 0xA0:  # [0] EXPLICIT version
        at = end
    for _ in range(3):  # serialNumber, signature, issuer
        _, _, at = _element(der, at)
    tag, validity, _ = _element(der, at)
    _expect(tag, 0x30, "validity")
    _, _, after_start = _element(der, validity)
    tag, start, end = _element(der, after_start)
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ; RFC 5280 4.1.2.5.1: YY >= 50 is 19YY
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise ValueError("notAfter is not a time")
    if len(text) != 15 or not text.endswith("Z") or not text[:14].isdigit():
        raise ValueError(f"notAfter {text!r} is not YYYYMMDDHHMMSSZ")
    fields = (int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:14]))
    return float(calendar.timegm((*fields, 0, 0, 0)))


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at ``at``: its tag, where its content starts and where the element ends."""
    tag, first = der[at], der[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("DER element runs past the end")
    return tag, at, at + length


def _expect(tag: int, wanted: int, what: str) -> None:
    if tag != wanted:
        raise ValueError(f"{what} is not a SEQUENCE")
