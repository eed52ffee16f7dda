"""A TLS front for the (plain HTTP) simulator, with a throw-away CA made by the openssl CLI, to test TLS settings."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest


@dataclass(frozen=True)
class Certificates:
    """A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate signed by it."""

    ca: Path
    server: Path
    server_key: Path
    client: Path
    client_key: Path


def make_certificates(folder: Path, server_names: str = "IP:127.0.0.1,DNS:localhost") -> Certificates:
    """Issue the certificates with `openssl` (EC keys, valid one day); the server's names are server_names."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=procfleet test CA")
    for name, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        run("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        names = server_names if name == "server" else "IP:127.0.0.1,DNS:localhost"
        (folder / f"{name}.ext").write_text(f"subjectAltName={names}\nextendedKeyUsage={usage}\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext")
    return Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
                        folder / "client.key")


class TlsFront:
    """Accepts TLS on 127.0.0.1 and relays the bytes to a plain HTTP port (optionally demanding a client cert)."""

    def __init__(self, target_port: int, certificates: Certificates, *, require_client_cert: bool = False) -> None:
        self.target_port = target_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certificates.server, certificates.server_key)
        if require_client_cert:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(certificates.ca)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self._start(self._accept)

    @property
    def address(self) -> str:
        """The https:// address to put in NOMAD_ADDR."""
        return f"https://127.0.0.1:{self.listener.getsockname()[1]}"

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _keep(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock)

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self._keep(raw)
            self._start(self._serve, raw)

    def _serve(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # a refused handshake is what some tests want
            return
        self._keep(secure)
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        self._keep(upstream)
        self._start(self._pump, upstream, secure)
        self._pump(secure, upstream)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop listening and close every connection."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread on Linux
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv(); close() alone does not
                sock.close()
        for thread in self.threads:
            thread.join(timeout=5)

    def __enter__(self) -> TlsFront:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
