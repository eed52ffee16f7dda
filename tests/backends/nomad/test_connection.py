"""NOMAD_* variables read as the Nomad CLI reads them, and handed to python-nomad explicitly (reference §5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from procfleet.errors import UsageError
from procfleet_nomad.connection import DEFAULT_ADDRESS, ca_bundle, from_environment, parse_bool
from procfleet_nomad.options import NomadOptions

PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake{n}\n-----END CERTIFICATE-----\n"


def test_defaults_are_the_cli_defaults() -> None:
    """No variable set: the local agent, the default namespace, the system's CAs, no token."""
    connection = from_environment({}, NomadOptions())
    assert connection.address == DEFAULT_ADDRESS == "http://127.0.0.1:4646"
    assert (connection.namespace, connection.region, connection.token) == ("default", None, None)
    assert connection.verify is True and connection.client_cert is None and connection.http_auth is None


@pytest.mark.parametrize(("given", "used"), [
    ("http://nomad.internal:4646/", "http://nomad.internal:4646"),
    ("https://nomad.internal:4646//", "https://nomad.internal:4646"),
    ("http://10.0.0.1:4646", "http://10.0.0.1:4646"),
])
def test_address_tolerates_trailing_slashes(given: str, used: str) -> None:
    """python-nomad would build //v1/… from a trailing slash (reference §5.2)."""
    assert from_environment({"NOMAD_ADDR": given}, NomadOptions()).address == used


@pytest.mark.parametrize(("given", "words"), [
    ("unix:///var/run/nomad.sock", "HTTP(S) only"),
    ("127.0.0.1:4646", "http:// or https://"),
])
def test_addresses_procfleet_cannot_use_are_usage_errors(given: str, words: str) -> None:
    with pytest.raises(UsageError, match=re.escape(words)):
        from_environment({"NOMAD_ADDR": given}, NomadOptions())


def test_token_namespace_region_from_the_environment() -> None:
    connection = from_environment({"NOMAD_TOKEN": "secret", "NOMAD_NAMESPACE": "apps", "NOMAD_REGION": "eu"},
                                  NomadOptions())
    assert (connection.token, connection.namespace, connection.region) == ("secret", "apps", "eu")


def test_formation_namespace_and_region_pin_the_job() -> None:
    """[backends.nomad] namespace/region win over NOMAD_NAMESPACE/NOMAD_REGION, as a job file's own do."""
    connection = from_environment({"NOMAD_NAMESPACE": "other", "NOMAD_REGION": "us"},
                                  NomadOptions(namespace="apps", region="eu"))
    assert (connection.namespace, connection.region) == ("apps", "eu")


def test_wildcard_namespace_is_refused_for_writes() -> None:
    with pytest.raises(UsageError, match="every namespace"):
        from_environment({"NOMAD_NAMESPACE": "*"}, NomadOptions())


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("t", True), ("TRUE", True), ("True", True), ("true", True),
    ("0", False), ("f", False), ("False", False), ("yes", None), ("", None),
])
def test_parse_bool_is_gos(value: str, expected: bool | None) -> None:
    assert parse_bool(value) is expected


def test_skip_verify_turns_verification_off_and_wins_over_a_ca(tmp_path: Path) -> None:
    """python-nomad verifies nothing by default; procfleet verifies unless NOMAD_SKIP_VERIFY says not to."""
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM.format(n=1))
    assert from_environment({"NOMAD_SKIP_VERIFY": "true", "NOMAD_CACERT": str(ca)}, NomadOptions()).verify is False
    assert from_environment({"NOMAD_SKIP_VERIFY": "no-idea"}, NomadOptions()).verify is True  # ignored, as the CLI


def test_cacert_is_passed_as_the_bundle_and_wins_over_capath(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM.format(n=1))
    assert from_environment({"NOMAD_CACERT": str(ca), "NOMAD_CAPATH": str(tmp_path)}, NomadOptions()).verify == str(ca)
    with pytest.raises(UsageError, match="no such file"):
        from_environment({"NOMAD_CACERT": str(tmp_path / "missing.pem")}, NomadOptions())


def test_capath_becomes_one_bundle_of_every_certificate(tmp_path: Path) -> None:
    """requests would give the folder to OpenSSL, which reads only c_rehash names; Nomad reads every file."""
    (tmp_path / "a.pem").write_text(PEM.format(n=1))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.crt").write_text("junk before\n" + PEM.format(n=2) + PEM.format(n=3))
    (tmp_path / "notes.txt").write_text("not a certificate")
    verify = from_environment({"NOMAD_CAPATH": str(tmp_path)}, NomadOptions()).verify
    assert isinstance(verify, str)
    bundle = Path(verify).read_text()
    assert bundle.count("BEGIN CERTIFICATE") == 3 and "MIIBfake2" in bundle and "junk" not in bundle
    assert ca_bundle(tmp_path) == verify  # the same CAs, the same file


def test_capath_without_certificates_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no PEM certificate"):
        from_environment({"NOMAD_CAPATH": str(tmp_path)}, NomadOptions())
    with pytest.raises(UsageError, match="not a folder"):
        from_environment({"NOMAD_CAPATH": str(tmp_path / "nope")}, NomadOptions())


def test_client_certificate_needs_both_halves(tmp_path: Path) -> None:
    """mTLS: python-nomad uses the pair only when both are set; one alone is named as the mistake."""
    cert, key = tmp_path / "cli.pem", tmp_path / "cli-key.pem"
    cert.write_text("cert")
    key.write_text("key")
    both = from_environment({"NOMAD_CLIENT_CERT": str(cert), "NOMAD_CLIENT_KEY": str(key)}, NomadOptions())
    assert both.client_cert == (str(cert), str(key))
    with pytest.raises(UsageError, match="NOMAD_CLIENT_KEY is not set"):
        from_environment({"NOMAD_CLIENT_CERT": str(cert)}, NomadOptions())
    with pytest.raises(UsageError, match="no such file"):
        from_environment({"NOMAD_CLIENT_CERT": str(cert), "NOMAD_CLIENT_KEY": str(tmp_path / "x")}, NomadOptions())


def test_http_basic_auth() -> None:
    assert from_environment({"NOMAD_HTTP_AUTH": "ops:p:w"}, NomadOptions()).http_auth == ("ops", "p:w")


def test_client_hands_every_setting_to_python_nomad(tmp_path: Path) -> None:
    """The requesters get the address, namespace, region, token, verify and cert procfleet computed."""
    from procfleet_nomad.client import NomadClient

    ca = tmp_path / "ca.pem"
    ca.write_text(PEM.format(n=1))
    connection = from_environment({"NOMAD_ADDR": "https://n:4646/", "NOMAD_TOKEN": "t", "NOMAD_REGION": "eu",
                                   "NOMAD_CACERT": str(ca), "NOMAD_HTTP_AUTH": "u:p"}, NomadOptions(namespace="apps"))
    requester = NomadClient(connection)._job
    assert (requester.address, requester.namespace, requester.region, requester.token) == (
        "https://n:4646", "apps", "eu", "t")
    assert requester.verify == str(ca) and requester.cert == ()
    assert requester.session.auth == ("u", "p")
    assert requester.session.headers["User-Agent"].startswith("procfleet/")
