"""`python -m sdk.cli deploy-suite`: the compute suite deployed to a real anvil node the way the workbench
deploys it, its roles given to real accounts, then used: a provider registers with its stake and rents
out an hour; and the refusals (a suite needing an external environment, a role the suite does not have)."""

from __future__ import annotations

import subprocess
import sys

from eth_account import Account

from harness.evm.abi import ContractABI
from sdk.anvil import DEV_KEYS
from sdk.chain import Chain, to_int_address
from sdk.deploy_suite import SuiteDeployment

ETH = 10**18


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sdk.cli", *args], capture_output=True, text=True, timeout=300)


def test_the_compute_suite_deploys_to_anvil_and_works(anvil, tmp_path):
    owner = Account.from_key(DEV_KEYS[1]).address
    out = tmp_path / "compute.json"
    r = cli("deploy-suite", "--suite", "compute", "--rpc", anvil.url, "--account", "0", "--out", str(out),
            "--role", f"owner={owner}")
    assert r.returncode == 0, r.stderr
    dep = SuiteDeployment.load(out)
    chain = Chain(anvil.url)
    assert set(dep.contracts) >= {"ComputeStaking", "ComputeRegistry", "ComputeRental", "InferenceServing",
                                  "LedgerManager", "TriggerRegistry"}
    assert all(chain.code(a) for a in dep.contracts.values())
    assert to_int_address(dep.roles["owner"]) == to_int_address(owner)
    # the owned contracts are owned by the account given for the role, not by the suite's fixed address
    for name in ("ComputeStaking", "ComputeRegistry", "TriggerRegistry"):
        abi = dep.abi(name)
        (got,) = abi.decode_output("owner", chain.call(dep.address(name), abi.encode_call("owner", ())))
        assert to_int_address(got) == to_int_address(owner), name

    def send(key: str, name: str, fn: str, *args, value: int = 0):  # noqa: ANN202
        abi = dep.abi(name)
        return chain.transact(Chain.account(key), dep.address(name), abi.encode_call(fn, args), abi=abi,
                              value=value, what=f"{name}.{fn}")

    def view(name: str, fn: str, *args):  # noqa: ANN202
        abi: ContractABI = dep.abi(name)
        return abi.decode_output(fn, chain.call(dep.address(name), abi.encode_call(fn, args)))

    provider, renter = DEV_KEYS[2], DEV_KEYS[3]
    send(provider, "ComputeRegistry", "register", "https://gpu.example", "", 10**15, value=ETH // 10)
    (record,) = view("ComputeRegistry", "getProvider", 1)
    assert to_int_address(record[0]) == to_int_address(Account.from_key(provider).address)
    assert record[1] == "https://gpu.example" and view("ComputeRegistry", "isAvailable", 1) == (True,)
    send(renter, "ComputeStaking", "stake", 0, value=ETH // 100)  # the user tier (StakeRole.User)
    send(renter, "ComputeRental", "createSession", 1, 1, "ssh-ed25519 AAAA", value=10**15)
    (session,) = view("ComputeRental", "getSession", 1)
    assert session[4] == 10**15 and session[6] is True
    assert chain.eth_balance(dep.address("ComputeRental")) == 10**15


def test_deploy_suite_refuses_what_it_cannot_deploy(anvil, tmp_path):
    out = tmp_path / "x.json"
    r = cli("deploy-suite", "--suite", "bpe", "--rpc", anvil.url, "--account", "0", "--out", str(out))
    assert r.returncode == 2 and "sdk.cli deploy" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = cli("deploy-suite", "--suite", "compute", "--rpc", anvil.url, "--account", "0", "--out", str(out),
            "--role", "mayor=0x0000000000000000000000000000000000000001")
    assert r.returncode == 2 and "mayor" in r.stderr, r.stderr
    r = cli("deploy-suite", "--suite", "nosuch", "--rpc", anvil.url, "--account", "0", "--out", str(out))
    assert r.returncode == 2 and "nosuch" in r.stderr, r.stderr
    assert not out.exists()
