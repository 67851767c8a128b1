"""Both clients honour the environment as their HTTP library does (proxies, CA bundles), also with a
session passed in, and a ~/.netrc entry never replaces the bearer token or the Basic credentials."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from airflow_provider_commercetools.commercetools.errors import TransportError
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.commercetools.clients import SIDES, config_for

ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (*ENV, "SSL_CERT_FILE", "SSL_CERT_DIR", "NETRC"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize("kind", sorted(SIDES))
@pytest.mark.parametrize("own_session", [False, True], ids=["default-session", "session-passed-in"])
def test_proxy_from_the_environment(commercetools_server, monkeypatch, kind, own_session):
    with FakeCommercetools() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        extra: dict = {}
        if own_session:
            extra = {"session": requests.Session()} if kind == "sync" else {"http": httpx.AsyncClient()}
        side = SIDES[kind](config_for(commercetools_server), **extra)
        try:
            side.request("GET", "products")
        finally:
            side.close()
        assert [(r.method, r.path) for r in proxy.requests] == [
            ("POST", "/oauth/token"),
            ("GET", f"/{commercetools_server.project_key}/products"),
        ]
        assert commercetools_server.requests == []


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_no_proxy_is_honoured(commercetools_server, monkeypatch, kind):
    with FakeCommercetools() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        side = SIDES[kind](config_for(commercetools_server))
        try:
            assert side.request("GET", "products")["results"] == []
        finally:
            side.close()
        assert proxy.requests == []


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_netrc_entry_never_replaces_the_credentials(commercetools_server, monkeypatch, tmp_path, kind):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert requests.utils.get_netrc_auth(commercetools_server.url) == ("netrc-user", "netrc-password")  # in effect
    side = SIDES[kind](config_for(commercetools_server))
    try:
        assert side.request("GET", "products")["results"] == []
    finally:
        side.close()
    grant, get = commercetools_server.requests
    assert grant.headers["authorization"].startswith("Basic ") and grant.status == 200
    assert get.headers["authorization"].startswith("Bearer ") and get.status == 200


# -- CA bundles: a TLS server on 127.0.0.1 with a certificate of its own -----------------------------


def _certificate(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


class _Api(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the token grant
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer({"access_token": "tls-token", "expires_in": 3600, "scope": "manage_project:p"})

    def do_GET(self) -> None:
        self._answer({"results": [], "path": self.path})

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[str, str]]:
    cert, key = _certificate(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _tls_config(url: str):
    from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
    from tests.commercetools.clients import FAST

    return ClientConfig.create(project_key="p", client_id="c", client_secret="s", api_url=url, auth_url=url, retry=FAST)


@pytest.mark.parametrize("kind", sorted(SIDES))
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_ca_bundle_from_the_environment(tls_server, monkeypatch, kind, variable):
    url, cert = tls_server
    monkeypatch.setenv(variable, cert)
    side = SIDES[kind](_tls_config(url))
    try:
        assert side.request("GET", "products")["path"] == "/p/products"
    finally:
        side.close()


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_an_unknown_certificate_is_a_tls_error(tls_server, kind):
    url, _ = tls_server
    side = SIDES[kind](_tls_config(url))
    try:
        with pytest.raises(TransportError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    assert "TLS error" in str(error.value) and not error.value.retryable


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_ca_bundle_from_the_environment_with_a_session_passed_in(tls_server, monkeypatch, variable):
    url, cert = tls_server
    monkeypatch.setenv(variable, cert)
    side = SIDES["sync"](_tls_config(url), session=requests.Session())
    try:
        assert side.request("GET", "products")["path"] == "/p/products"
    finally:
        side.close()


def test_a_session_with_its_own_verify_keeps_it(tls_server, monkeypatch):
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/bundle.pem")  # would fail if it replaced the session's
    session = requests.Session()
    session.verify = cert
    side = SIDES["sync"](_tls_config(url), session=session)
    try:
        assert side.request("GET", "products")["results"] == []
    finally:
        side.close()
