"""The webhook's certificate handling: one-line errors naming the file, reloads that keep the old pair when
the new one is broken, the expiry read from the certificate, and handshake failures in words."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time

import pytest

from checker.commands.webhook.tls import CertificateError, Reloader, certificate_expiry, not_after, server_context

from .webhook_server import make_certificate


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[str, str]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_mistakes_name_the_file(pair, tmp_path) -> None:
    cert, key = pair
    with pytest.raises(CertificateError, match=f"^cannot read the TLS certificate {tmp_path}/nope.crt: No such file"):
        server_context(str(tmp_path / "nope.crt"), key, print)
    with pytest.raises(CertificateError, match=f"^the TLS key {cert} holds no PEM key"):
        server_context(cert, cert, print)
    with pytest.raises(CertificateError, match=f"^the TLS certificate {key} holds no PEM certificate"):
        server_context(key, key, print)
    other_key, rsa_key = tmp_path / "other.key", tmp_path / "rsa.key"
    subprocess.run(
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(other_key)], check=True
    )
    subprocess.run(["openssl", "genrsa", "-out", str(rsa_key), "2048"], check=True, capture_output=True)
    with pytest.raises(
        CertificateError, match=f"^cannot use the TLS certificate {cert} with the key {other_key}: key values mismatch$"
    ):
        server_context(cert, str(other_key), print)
    with pytest.raises(CertificateError, match=f"with the key {rsa_key}: the key is not of the certificate's type"):
        server_context(cert, str(rsa_key), print)
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(
        ["openssl", "pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out", str(encrypted)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(CertificateError, match=f"^the TLS key {encrypted} is encrypted; give an unencrypted key$"):
        server_context(cert, str(encrypted), print)


def test_the_context_is_tls_1_2_or_later(pair) -> None:
    context = server_context(*pair, print)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_reload_keeps_the_old_pair_until_the_new_one_is_whole(pair, tmp_path) -> None:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(pair[0], cert)
    shutil.copy(pair[1], key)
    reloader = Reloader(server_context(str(cert), str(key), print), str(cert), str(key))
    assert reloader.check() is None  # nothing changed
    new_cert, new_key = make_certificate(tmp_path, "new", "new.example")
    shutil.copy(new_cert, cert)  # the certificate is new, the key still the old one
    with pytest.raises(CertificateError, match="key values mismatch"):
        reloader.check()
    time.sleep(0.01)
    shutil.copy(new_key, key)
    assert reloader.check() is True
    assert reloader.check() is None


def test_the_expiry_comes_from_the_certificate(pair, tmp_path) -> None:
    expiry = certificate_expiry(pair[0])
    assert expiry is not None and 86400 < expiry - time.time() <= 2 * 86400 + 60
    late_cert = tmp_path / "late.crt"
    subprocess.run(  # after 2049: a GeneralizedTime notAfter (RFC 5280 4.1.2.5)
        ["openssl", "req", "-x509", "-key", pair[1], "-days", "36500", "-subj", "/CN=late", "-out", str(late_cert)],
        check=True,
        capture_output=True,
    )
    dated = (
        subprocess.run(
            ["openssl", "x509", "-in", str(late_cert), "-noout", "-enddate", "-dateopt", "iso_8601"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .removeprefix("notAfter=")
    )
    assert time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(certificate_expiry(str(late_cert)))) == dated
    assert certificate_expiry(str(tmp_path / "absent.crt")) is None
    with pytest.raises(ValueError):
        not_after(b"\x30\x03\x02\x01\x01")
