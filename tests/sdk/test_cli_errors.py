"""The SDK's command line answers bad input and an unavailable node with one line naming the file or
argument and the cause, and its documented exit code (2 bad usage or input, 3 node or tool unavailable);
`--debug` shows the traceback."""

from __future__ import annotations

import json
import socket

import pytest

from sdk import cli
from sdk.deploy import FORMAT
from tests.one_line import one_line

GOOD = {"format": FORMAT, "chainId": 31337, "contracts": {}, "superfluid": {}, "abis": {}, "deployer": "0x0",
        "governance": "0x0", "treasury": "0x0", "startBlock": 1, "block": 2}

BAD_DEPLOYMENTS = {
    "missing": (None, "no deployment file at"),
    "truncated": (json.dumps(GOOD)[:30], "not JSON (truncated or corrupt?)"),
    "not an object": ("[1, 2]", "not a BPE deployment file (a JSON list"),
    "another format": (json.dumps({**GOOD, "format": "bpe-deployment/9"}), "format 'bpe-deployment/9'"),
    "a field missing": (json.dumps({k: v for k, v in GOOD.items() if k != "contracts"}), "field 'contracts' is missing"),
    "a field of the wrong type": (json.dumps({**GOOD, "chainId": "31337"}), "field 'chainId' is a str"),
}


@pytest.mark.parametrize("case", sorted(BAD_DEPLOYMENTS))
@pytest.mark.parametrize("command", ["keeper", "sink", "source"])
def test_a_bad_deployment_file_is_one_line_and_exit_2(case, command, tmp_path, capsys):
    text, expected = BAD_DEPLOYMENTS[case]
    path = tmp_path / "deployment.json"
    if text is not None:
        path.write_text(text)
    extra = ["--state", str(tmp_path / "state.json")] if command == "keeper" else []
    assert cli.main([command, "--deployment", str(path), "--account", "1", *extra]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(path) in line and expected in line, line


@pytest.mark.parametrize("command", ["keeper", "sink"])
@pytest.mark.parametrize("text, expected", [('{"version": 1, "pend', "not JSON (truncated or corrupt?)"),
                                            ("[1]", "holds a JSON list, not an object")])
def test_a_bad_state_file_is_one_line_and_exit_2_and_left_in_place(command, text, expected, tmp_path, capsys):
    dep = tmp_path / "deployment.json"
    dep.write_text(json.dumps({**GOOD, "rpc": "http://127.0.0.1:1"}))  # no node is asked
    state = tmp_path / "state.json"
    state.write_text(text)
    code = cli.main([command, "--deployment", str(dep), "--account", "2", "--state", str(state)])
    line = one_line(capsys.readouterr().err)
    assert code == 2 and str(state) in line and expected in line, line
    assert state.read_text() == text  # never reset: it may record a transaction in flight


@pytest.mark.parametrize("argv, expected", [
    (["deploy", "--rpc", "http://127.0.0.1:1", "--out", "d.json", "--account", "1", "--task-type", "a:b"],
     "--task-type 'a:b': expected NAME:BUFFER_MAX:UNIT_PRICE"),
    (["deploy", "--rpc", "http://127.0.0.1:1", "--out", "d.json", "--account", "1", "--pipeline", "a,b"],
     "--pipeline 'a,b': expected A,B:WA,WB"),
    (["deploy", "--out", "d.json", "--account", "1"], "deploy needs --rpc URL"),
    (["deploy", "--rpc", "http://127.0.0.1:1", "--out", "d.json", "--account", "99"], "--account 99"),
    (["deploy", "--rpc", "http://127.0.0.1:1", "--out", "d.json"], "no key"),
])
def test_bad_arguments_are_one_line_and_exit_2_before_any_node_is_asked(argv, expected, tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPE_KEY", raising=False)
    assert cli.main(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert expected in line, line
    assert not (tmp_path / "d.json").exists()


def test_a_busy_port_for_anvil_is_one_line_and_exit_3(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["anvil", "--port", str(port)]) == 3
    line = one_line(capsys.readouterr().err)
    assert f"port {port} on 127.0.0.1 is in use" in line, line


def test_a_missing_anvil_binary_is_one_line_and_exit_3(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BPE_ANVIL", str(tmp_path / "nowhere"))
    assert cli.main(["anvil", "--port", "0"]) == 3
    line = one_line(capsys.readouterr().err)
    assert "BPE_ANVIL=" in line and "neither an anvil binary" in line, line


def test_an_unreachable_node_is_one_line_and_exit_3(tmp_path, capsys, monkeypatch):
    from sdk import chain

    monkeypatch.setattr(chain.Backoff, "delays", lambda self: [0.0] * (self.attempts - 1))  # no waiting
    code = cli.main(["deploy", "--rpc", "http://127.0.0.1:1", "--out", str(tmp_path / "d.json"), "--account", "1"])
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 3 and len(errors) == 1 and "Traceback" not in err, err
    assert "node unavailable" in errors[0], errors[0]
    assert not (tmp_path / "d.json").exists()


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, tmp_path, capsys):
    def crash(_args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "cmd_deploy", crash)
    argv = ["deploy", "--rpc", "http://127.0.0.1:1", "--out", str(tmp_path / "d.json"), "--account", "1"]
    assert cli.main(argv) == 3
    assert "internal error: KeyError" in one_line(capsys.readouterr().err)
    with pytest.raises(KeyError):
        cli.main(["--debug", *argv])


@pytest.mark.parametrize("extra, expected", [
    (["--task", "nope"], "--task 'nope': not a task type of"),
    (["--pipeline", "7"], "--pipeline 7: not a pipeline of"),
])
def test_the_keeper_watches_only_what_the_deployment_file_lists(extra, expected, tmp_path, capsys):
    dep = tmp_path / "deployment.json"
    tt = "0x" + "11" * 32
    dep.write_text(json.dumps({**GOOD, "rpc": "http://127.0.0.1:1", "pipelines": {"1": {"stages": [tt]}},
                               "taskTypes": {tt: {"name": "summarize"}}}))  # no node is asked
    code = cli.main(["keeper", "--deployment", str(dep), "--account", "1", "--state", str(tmp_path / "k.json"),
                     *extra])
    line = one_line(capsys.readouterr().err)
    assert code == 2 and expected in line and str(dep) in line, line
    assert "(it lists: " in line, line
