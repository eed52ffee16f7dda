"""TLS as the Nomad CLI does it: verified by default (python-nomad is not), NOMAD_CACERT/CAPATH, SKIP_VERIFY, mTLS."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.nomad.conftest import Agent, Project
from tests.integration.nomad.tls import Certificates, TlsFront, make_certificates


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def front(agent: Agent, certificates: Certificates) -> Iterator[TlsFront]:
    with TlsFront(agent.simulator().port, certificates) as made:
        yield made


def test_an_unknown_ca_is_refused_unless_told(project: Project, agent: Agent, front: TlsFront,
                                             certificates: Certificates, tmp_path: Path) -> None:
    """Unverified TLS would be python-nomad's default; procfleet verifies, and says how to trust the agent."""
    project.write()
    env = project.environ(NOMAD_ADDR=front.address)
    refused = project.cli("deploy", "--no-wait", "-b", "nomad", env=env)
    assert refused.code == 1
    assert f"cannot reach Nomad at {front.address}: TLS failed (certificate verify failed" in refused.err
    assert "set NOMAD_CACERT or NOMAD_CAPATH to the agent's CA (or NOMAD_SKIP_VERIFY=true)" in refused.err
    trusted = project.cli("deploy", "--no-wait", "-b", "nomad", env={**env, "NOMAD_CACERT": str(certificates.ca)})
    assert trusted.code == 0, trusted.err
    folder = tmp_path / "cas"
    folder.mkdir()
    shutil.copy(certificates.ca, folder / "our-ca.crt")  # not a c_rehash name: OpenSSL's capath would miss it
    (folder / "README").write_text("not a certificate")
    assert project.cli("ps", "-b", "nomad", env={**env, "NOMAD_CAPATH": str(folder)}).code == 0
    skipped = project.cli("ps", "-b", "nomad", env={**env, "NOMAD_SKIP_VERIFY": "1"})
    assert skipped.code == 0 and "Unverified HTTPS" not in skipped.err  # asked for: no warning per request
    plain = project.cli("ps", "-b", "nomad", env={**env, "NOMAD_ADDR": agent.address.replace("http:", "https:")})
    assert plain.code == 1 and "TLS failed (wrong version number): the agent does not speak TLS there" in plain.err


def test_client_certificates_for_mutual_tls(project: Project, agent: Agent, certificates: Certificates) -> None:
    with TlsFront(agent.simulator().port, certificates, require_client_cert=True) as front:
        project.write()
        env = project.environ(NOMAD_ADDR=front.address, NOMAD_CACERT=str(certificates.ca))
        without = project.cli("deploy", "--no-wait", "-b", "nomad", env=env)
        assert without.code == 1 and f"cannot reach Nomad at {front.address}: TLS failed (" in without.err
        assert "set NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY" in without.err
        with_cert = project.cli("deploy", "--no-wait", "-b", "nomad", env={
            **env, "NOMAD_CLIENT_CERT": str(certificates.client), "NOMAD_CLIENT_KEY": str(certificates.client_key)})
        assert with_cert.code == 0, with_cert.err


def test_tls_server_name_is_the_name_the_certificate_is_checked_against(project: Project, agent: Agent,
                                                                        tmp_path: Path) -> None:
    """Nomad's certificates name `server.<region>.nomad`, not the address: NOMAD_TLS_SERVER_NAME says so."""
    named = make_certificates(tmp_path / "pki", server_names="DNS:server.global.nomad")
    with TlsFront(agent.simulator().port, named) as front:
        project.write()
        env = project.environ(NOMAD_ADDR=front.address, NOMAD_CACERT=str(named.ca))
        mismatch = project.cli("ps", "-b", "nomad", env=env)
        assert mismatch.code == 1 and "TLS failed" in mismatch.err
        assert "set NOMAD_TLS_SERVER_NAME to its name" in mismatch.err
        wrong = project.cli("ps", "-b", "nomad", env={**env, "NOMAD_TLS_SERVER_NAME": "server.eu.nomad"})
        assert wrong.code == 1 and "the agent's certificate is not for server.eu.nomad" in wrong.err
        named_right = project.cli("deploy", "--no-wait", "-b", "nomad",
                                  env={**env, "NOMAD_TLS_SERVER_NAME": "server.global.nomad"})
        assert named_right.code == 0, named_right.err
