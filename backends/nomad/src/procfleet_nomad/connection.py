"""Where and how to reach Nomad, from the environment as the Nomad CLI reads it (reference §5.1).

python-nomad reads only some of these variables and verifies no TLS certificate unless told to (reference §5.2),
so procfleet reads them all itself and hands python-nomad explicit values.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from procfleet.errors import UsageError
from procfleet_nomad.options import NomadOptions

DEFAULT_ADDRESS = "http://127.0.0.1:4646"
DEFAULT_NAMESPACE = "default"
# strconv.ParseBool, which the Nomad CLI applies to NOMAD_SKIP_VERIFY (it ignores a value it cannot parse).
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
_PEM_END = "-----END CERTIFICATE-----"


@dataclass(frozen=True)
class Connection:
    """Everything a request to Nomad needs besides its path."""

    address: str
    namespace: str = DEFAULT_NAMESPACE
    region: str | None = None
    token: str | None = None
    verify: bool | str = True  # False, True (the system's CAs) or a CA bundle file
    client_cert: tuple[str, str] | None = None
    http_auth: tuple[str, str] | None = None
    tls_server_name: str | None = None  # the name to ask for (SNI) and check the certificate against

    @property
    def described(self) -> str:
        """Where requests go, for messages: the address and namespace (and region when set)."""
        where = f"{self.address} (namespace {self.namespace}"
        return where + (f", region {self.region})" if self.region else ")")


def from_environment(environ: Mapping[str, str], options: NomadOptions) -> Connection:
    """The connection the Nomad CLI would make, with [backends.nomad] namespace and region pinning the job's."""
    address, url_auth = _address(environ.get("NOMAD_ADDR", "") or DEFAULT_ADDRESS)
    # The formation's namespace and region say where the job lives, as a job file's own namespace does for
    # `nomad job run`; NOMAD_NAMESPACE and NOMAD_REGION choose for formations that leave it open.
    namespace = options.namespace or environ.get("NOMAD_NAMESPACE") or DEFAULT_NAMESPACE
    if namespace == "*":
        raise UsageError('NOMAD_NAMESPACE="*" means every namespace, which only reads allow: name one namespace')
    region = options.region or environ.get("NOMAD_REGION") or None
    return Connection(
        address=address,
        namespace=namespace,
        region=region,
        token=environ.get("NOMAD_TOKEN") or None,
        verify=_verify(environ),
        client_cert=_client_cert(environ),
        http_auth=_http_auth(environ.get("NOMAD_HTTP_AUTH", "")) or url_auth,
        tls_server_name=environ.get("NOMAD_TLS_SERVER_NAME") or None,
    )


def _address(raw: str) -> tuple[str, tuple[str, str] | None]:
    """NOMAD_ADDR with its trailing slashes removed, which python-nomad would otherwise double (reference §5.2),
    and the user:password it may carry, taken out so that no message ever shows it (it becomes basic auth, as
    Go's HTTP client makes of it)."""
    parts = urlsplit(raw)
    auth = (unquote(parts.username or ""), unquote(parts.password or "")) if "@" in parts.netloc else None
    if auth is not None:
        raw = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    if raw.startswith("unix:"):
        raise UsageError(f"NOMAD_ADDR={raw}: procfleet reaches Nomad over HTTP(S) only (python-nomad has no "
                         "unix socket support); use the agent's http address")
    if not raw.startswith(("http://", "https://")):
        raise UsageError(f"NOMAD_ADDR={raw}: expected an address such as http://127.0.0.1:4646 "
                         "(with http:// or https://)")
    return raw.rstrip("/"), auth


def parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool, None for what it rejects."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def _verify(environ: Mapping[str, str]) -> bool | str:
    """False with NOMAD_SKIP_VERIFY, else NOMAD_CACERT, else NOMAD_CAPATH as one bundle, else the system's CAs."""
    if parse_bool(environ.get("NOMAD_SKIP_VERIFY", "")):
        return False
    cacert, capath = environ.get("NOMAD_CACERT", ""), environ.get("NOMAD_CAPATH", "")
    if cacert:  # the Nomad CLI prefers NOMAD_CACERT when both are set
        if not os.path.isfile(cacert):
            raise UsageError(f"NOMAD_CACERT={cacert}: no such file")
        return cacert
    if capath:
        return ca_bundle(Path(capath))
    return True


_BUNDLES: dict[str, str] = {}  # bundle text -> its file, so one process writes each bundle once


def ca_bundle(folder: Path) -> str:
    """Every PEM certificate under folder in one file, since requests hands a folder to OpenSSL, which then
    reads only hash-named files (c_rehash), while Nomad's CLI loads every file in it."""
    if not folder.is_dir():
        raise UsageError(f"NOMAD_CAPATH={folder}: not a folder")
    blocks: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="ascii", errors="ignore")
        start = text.find(_PEM_BEGIN)
        while start != -1:
            end = text.find(_PEM_END, start)
            if end == -1:
                break
            blocks.append(text[start:end + len(_PEM_END)])
            start = text.find(_PEM_BEGIN, end)
    if not blocks:
        raise UsageError(f"NOMAD_CAPATH={folder}: no PEM certificate found in it")
    bundle = "\n".join(blocks) + "\n"
    if bundle not in _BUNDLES:
        # In a folder of this process's own (mkdtemp: mode 0700, a name nobody can guess), never at a path another
        # user could plant a CA at in advance; removed when the process ends.
        folder_for_bundle = tempfile.mkdtemp(prefix="procfleet-nomad-ca-")
        atexit.register(shutil.rmtree, folder_for_bundle, True)
        target = Path(folder_for_bundle) / "ca-bundle.pem"
        target.write_text(bundle, encoding="ascii")
        _BUNDLES[bundle] = str(target)
    return _BUNDLES[bundle]


def _client_cert(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY for mutual TLS; one without the other is a mistake worth naming."""
    cert, key = environ.get("NOMAD_CLIENT_CERT", ""), environ.get("NOMAD_CLIENT_KEY", "")
    if not cert and not key:
        return None
    if not (cert and key):
        missing = "NOMAD_CLIENT_KEY" if cert else "NOMAD_CLIENT_CERT"
        raise UsageError(f"{missing} is not set: NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY go together")
    for name, path in (("NOMAD_CLIENT_CERT", cert), ("NOMAD_CLIENT_KEY", key)):
        if not os.path.isfile(path):
            raise UsageError(f"{name}={path}: no such file")
    return cert, key


def _http_auth(raw: str) -> tuple[str, str] | None:
    """NOMAD_HTTP_AUTH as user:password for HTTP basic auth (a proxy in front of Nomad)."""
    if not raw:
        return None
    user, _, password = raw.partition(":")
    return user, password
