"""A local anvil node for development and the integration tests.

The binary comes from the npm package `@foundry-rs/anvil-linux-amd64` (its `bin/anvil`), installed in
the repository's `node_modules/`. `BPE_ANVIL` overrides the path (a binary, or a directory holding
`node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil` or `bin/anvil`). A binary named `anvil` on
PATH is the last resort.

The Superfluid framework deployer's runtime is 32,429 bytes, above EIP-170's 24,576, so the node is
started with `--code-size-limit` 64 KiB (the workbench engines use the same limit).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sdk.chain import SDKError

REPO = Path(__file__).resolve().parents[1]
ANVIL_PACKAGE = "@foundry-rs/anvil-linux-amd64"
ANVIL_ENV = "BPE_ANVIL"
CODE_SIZE_LIMIT = 64 * 1024

# anvil's default mnemonic ("test test ... junk"): the first ten funded dev accounts.
DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)


class AnvilError(SDKError):
    """anvil could not be started: no binary, a busy port, or the process died or did not answer."""


class AnvilNotFound(AnvilError):
    pass


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Does something already listen on (host, port)? (A bind attempt, as anvil's own would be.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def find_anvil() -> Path:
    """The anvil binary: $BPE_ANVIL, then node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil in the
    repository, then `anvil` on PATH. Raises AnvilNotFound saying how to install it."""
    rel = Path("node_modules") / ANVIL_PACKAGE / "bin" / "anvil"
    env = os.environ.get(ANVIL_ENV)
    if env:
        p = Path(env)
        for cand in (p, p / rel, p / "bin" / "anvil"):
            if cand.is_file() and os.access(cand, os.X_OK):
                return cand
        raise AnvilNotFound(f"{ANVIL_ENV}={env} is neither an anvil binary nor a directory with {rel}")
    cand = REPO / rel
    if cand.is_file() and os.access(cand, os.X_OK):
        return cand
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilNotFound(
        f"no anvil binary: expected {cand} (npm package {ANVIL_PACKAGE}, `npm ci` installs it when package.json "
        f"lists it), or set {ANVIL_ENV} to the binary")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Anvil:
    """A running anvil process on 127.0.0.1. Use as a context manager, or call stop()."""

    port: int
    process: subprocess.Popen
    log_path: Path | None = None
    host: str = "127.0.0.1"
    keys: tuple[str, ...] = field(default=DEV_KEYS)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> "Anvil":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_anvil(*, port: int | None = None, block_time: float | None = None, chain_id: int = 31337,
                accounts: int = 10, timestamp: int | None = None, log_path: Path | None = None,
                extra_args: list[str] | None = None, timeout: float = 20.0) -> Anvil:
    """Start anvil on 127.0.0.1 (a free port unless given) and wait until it answers JSON-RPC.
    Automine (a block per transaction) unless `block_time` is given."""
    import json
    import urllib.request

    if port is not None and port_in_use(port):
        raise AnvilError(f"port {port} on 127.0.0.1 is in use: stop what listens there, or pass another --port")
    binary = find_anvil()
    last_err: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between probing and binding
        p = port or free_port()
        args = [str(binary), "--host", "127.0.0.1", "--port", str(p), "--chain-id", str(chain_id),
                "--accounts", str(accounts), "--code-size-limit", str(CODE_SIZE_LIMIT)]
        if block_time is not None:
            args += ["--block-time", str(block_time)]
        if timestamp is not None:
            args += ["--timestamp", str(timestamp)]
        args += list(extra_args or [])
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if log_path:
            out.close()  # type: ignore[union-attr]
        node = Anvil(p, proc, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_err = AnvilError(f"anvil exited with code {proc.returncode} (see {log_path or 'its output'})")
                break
            try:
                req = urllib.request.Request(node.url, data=json.dumps(
                    {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode(),
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1) as resp:
                    if json.loads(resp.read()).get("result"):
                        return node
            except OSError as exc:
                last_err = exc
                time.sleep(0.05)
        else:
            node.stop()
            raise AnvilError(f"anvil did not answer on {node.url} within {timeout}s: {last_err}")
        if port:
            break
    raise AnvilError(f"could not start anvil: {last_err}")
