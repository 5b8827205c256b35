"""The language server stays small, current and answering (reliability probe 1.2-1.12, 1.16,
1.22-1.25; issue 21 item 6): protocol faults get JSON-RPC errors, notifications leave nothing
behind, a burst of changes is applied once, a folder recovers when its manifest is fixed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest

from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.features import documents, lifecycle
from llmcost_lsp.server.state import Folder, LlmCostServer

pytestmark = pytest.mark.timeout(120)
MANIFEST = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 100\n'


class RawClient:
    """Bytes in, JSON-RPC messages out: a client that can send what no library would."""

    def __init__(self, root: Path) -> None:
        env = {**os.environ, "LLMCOST_CACHE_DIR": str(root / ".cache")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llmcost_lsp"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        self.messages: Queue[dict[str, Any]] = Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.raw(self.frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {}}}))  # fmt: skip
        assert "capabilities" in self.answer(0)["result"]
        self.raw(self.frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()).strip():
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                self.raw(self.frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            elif "id" in message:
                self.messages.put(message)

    @staticmethod
    def frame(message: dict[str, Any]) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def raw(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)
        stdin.flush()

    def answer(self, msg_id: Any, timeout: float = 60) -> dict[str, Any]:
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except Empty:
                raise AssertionError(f"no answer to {msg_id!r} in {timeout} s") from None
            if message.get("id") == msg_id:
                return message

    def hover(self, msg_id: int, uri: str) -> bytes:
        return self.frame({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover",
                           "params": {"textDocument": {"uri": uri},
                                      "position": {"line": 0, "character": 0}}})  # fmt: skip

    def close(self) -> None:
        self.raw(self.frame({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"}))
        self.answer("bye")
        self.raw(self.frame({"jsonrpc": "2.0", "method": "exit"}))
        self.process.wait(timeout=30)


@pytest.fixture
def client(tmp_path: Path) -> Any:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text("Say hello to the user.\n")
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    raw = RawClient(tmp_path)
    raw.uri = (tmp_path / "prompts" / "a.txt").as_uri()  # type: ignore[attr-defined]
    yield raw
    raw.process.kill()


FAULTS = {
    "misspelt header": b"Content-Lenght: 2\r\n\r\n{}",
    "negative length": b"Content-Length: -5\r\n\r\n{}",
    "length not a number": b"Content-Length: abc\r\n\r\n{}",
    "length of 10^12": b"Content-Length: 1000000000000\r\n\r\n{}",
    "20 bytes short": None,
    "20 bytes long": None,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_framing_fault_is_answered_and_the_next_request_still_is(client: Any, fault: str) -> None:
    """Probe 1.2, 1.4, 1.5: the next three requests went unanswered; 10^12 killed the server."""
    data = FAULTS[fault]
    if data is None:
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 5,
                "method": "textDocument/hover",
                "params": {
                    "textDocument": {"uri": client.uri},
                    "position": {"line": 0, "character": 0},
                },
            }
        ).encode()
        shift = -20 if "short" in fault else 20
        data = b"Content-Length: %d\r\n\r\n" % (len(body) + shift) + body
    client.raw(data + client.hover(7, client.uri))
    if fault != "20 bytes long":
        error = client.answer(None)["error"]
        assert error["code"] in (-32600, -32700)
    assert "contents" in client.answer(7)["result"]
    assert client.process.poll() is None
    client.close()


def test_lowercase_and_lf_only_headers_are_read(client: Any) -> None:
    body = client.hover(8, client.uri).split(b"\r\n\r\n", 1)[1]
    client.raw(b"content-length: %d\n\n" % len(body) + body)
    assert "contents" in client.answer(8)["result"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"jsonrpc":"2.0","id":9001,"method":"x","params":"\xff\xfe"}', -32700),
        (b'{"jsonrpc":"2.0","id":9002,"method":"textDocument/hov', -32700),
    ],
    ids=["invalid-utf8", "truncated-json"],
)
def test_a_body_that_is_not_json_gets_a_parse_error(client: Any, body: bytes, code: int) -> None:
    """Probe 1.6, 1.7: never answered; the client waited forever."""
    client.raw(b"Content-Length: %d\r\n\r\n" % len(body) + body + client.hover(10, client.uri))
    assert client.answer(None)["error"]["code"] == code
    assert "contents" in client.answer(10)["result"]


@pytest.mark.parametrize(
    "params",
    [
        {"textDocument": {"uri": "x"}, "position": {"line": "zero", "character": 0}},
        {"textDocument": {"uri": "x"}, "position": {"line": -1, "character": 0}},
        [1, 2, 3],
        None,
    ],
    ids=["line-zero", "line-negative", "array", "null"],
)
def test_wrongly_typed_params_get_invalid_params(client: Any, params: Any) -> None:
    """Probe 1.10: pygls raised InvalidParams while reading and never answered."""
    client.raw(client.frame({"jsonrpc": "2.0", "id": 11, "method": "textDocument/hover",
                             "params": params}))  # fmt: skip
    assert client.answer(11)["error"]["code"] == -32602
    client.raw(client.hover(12, client.uri))
    assert "contents" in client.answer(12)["result"]


def test_a_second_initialize_is_refused_and_the_session_goes_on(client: Any) -> None:
    """Probe 1.12: answered, then every later request hung (and it watched `/`)."""
    client.raw(client.frame({"jsonrpc": "2.0", "id": 13, "method": "initialize", "params": {
        "processId": None, "rootUri": "file:///", "capabilities": {}}}))  # fmt: skip
    assert client.answer(13)["error"]["code"] == -32600
    client.raw(client.hover(14, client.uri))
    assert "contents" in client.answer(14)["result"]
    client.close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_symlink_to_a_fifo_never_blocks_the_worker(tmp_path: Path) -> None:
    """Probe 1.25: no hint, no diagnostics, not even `shutdown` was answered."""
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text("Say hello.\n")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "prompts" / "y.txt").symlink_to(tmp_path / "fifo")
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    client = RawClient(tmp_path)
    try:
        client.raw(client.hover(15, (tmp_path / "prompts" / "a.txt").as_uri()))
        assert "contents" in client.answer(15)["result"]
        client.close()
    finally:
        client.process.kill()


async def test_notifications_leave_no_future_behind() -> None:
    """Probe 1.22: pygls 2.1.1 kept every async notification's future, 2.8 KB each."""
    server = LlmCostServer()
    documents.register(server)
    protocol = server.protocol
    protocol.set_writer(type("Sink", (), {"write": lambda self, data: None})())
    message = protocol.structure_message({"jsonrpc": "2.0", "method": "textDocument/didClose",
        "params": {"textDocument": {"uri": "file:///nowhere/x.txt"}}})  # fmt: skip
    for number in range(3_000):
        protocol.handle_message(message)
        if number % 100 == 0:
            for _ in range(3):
                await asyncio.sleep(0)  # the handlers run and finish
    assert len(protocol._request_futures) <= 400  # not 3,000 (2.8 KB each)


async def test_a_burst_of_changes_is_applied_once_with_the_newest_text(tmp_path: Path) -> None:
    """Probe 1.16: 5,000 changes were applied one by one (hint 30-42 s after the last)."""
    (tmp_path / "prompts").mkdir()
    path = tmp_path / "prompts" / "a.txt"
    path.write_text("Say hello.\n")
    server = LlmCostServer()
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    folder = Folder(tmp_path.resolve(), workspace)
    folder.ready.set()
    server.folders = [folder]
    applied: list[str | None] = []
    original = workspace.apply_change

    def counting(changed: Path, text: str | None = None) -> set[str]:
        applied.append(text)
        return original(changed, text)

    workspace.apply_change = counting  # type: ignore[method-assign]
    uri = path.as_uri()
    await asyncio.gather(*(documents._changed(server, uri, f"text {n}\n") for n in range(500)))
    assert applied[-1] == "text 499\n" and len(applied) <= 3
    assert workspace.prompt("a") is not None and workspace.prompt("a").text == "text 499\n"
    server.executor.shutdown()


def test_a_folder_whose_indexing_failed_recovers_when_the_manifest_is_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probe 1.23: the folder stayed dead until restart, even after the fix on disk."""
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text("Say hello.\n")
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    server = LlmCostServer()
    folder = Folder(tmp_path.resolve())
    real_load = Workspace.load
    calls = {"n": 0}

    def failing_once(self: Workspace, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RecursionError("maximum recursion depth exceeded")
        real_load(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "load", failing_once)
    with pytest.raises(RecursionError):
        lifecycle._index(server, folder, lambda *args: None)
    assert folder.workspace is not None and folder.workspace.prompts == []
    documents._apply(folder, tmp_path / "llm-cost.toml", MANIFEST)
    assert [p.id for p in folder.workspace.prompts] == ["a"]


def test_a_request_after_shutdown_is_refused_and_exit_then_ends_with_0(client: Any) -> None:
    """Probe 1.20: the request after `shutdown` went unanswered (the client waited)."""
    client.raw(client.frame({"jsonrpc": "2.0", "id": 20, "method": "shutdown"}))
    assert client.answer(20)["result"] is None
    client.raw(client.hover(21, client.uri))
    assert client.answer(21)["error"] == {"code": -32600, "message": "the server is shut down"}
    client.raw(client.frame({"jsonrpc": "2.0", "method": "exit"}))
    assert client.process.wait(timeout=30) == 0


def test_exit_without_shutdown_ends_with_1_and_no_traceback(tmp_path: Path) -> None:
    """Probe 1.20: exit code 0 (the LSP spec says 1) and an asyncio CancelledError traceback
    when `exit` came while the folder was still being indexed."""
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text("Say hello.\n")
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(tmp_path / ".cache")}
    frames = b"".join(
        RawClient.frame(message)
        for message in (
            {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "method": "exit"},
        )
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp"], input=frames, capture_output=True, timeout=60,
        env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr and b"CancelledError" not in done.stderr


def test_closed_input_ends_the_server(client: Any) -> None:
    """Probe 1.20: stdin closed (the editor died): the server ends instead of lingering."""
    stdin = client.process.stdin
    assert stdin is not None
    stdin.close()
    assert client.process.wait(timeout=30) == 0


def test_refused_commands_answer_a_message_without_traceback_and_write_nothing(
    tmp_path: Path,
) -> None:
    """Probe 1.14: every bad command was refused, but the errors carried Python tracebacks with
    local paths in `data.traceback`."""
    ws = tmp_path / "ws"
    (ws / "prompts").mkdir(parents=True)
    (ws / "prompts" / "a.txt").write_text("Say hello.\n")
    (ws / "llm-cost.toml").write_text(MANIFEST)
    for git in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *git], cwd=ws,
                       check=True, capture_output=True)  # fmt: skip
    client = RawClient(ws)
    pwned = tmp_path / "pwned"
    cases = [
        ("llmcost.exportFocus", [{"path": str(tmp_path / "out.csv")}], "is outside the workspace"),
        ("llmcost.exportFocus", [{"path": "../out.csv"}], "is outside the workspace"),
        ("llmcost.diff", [{"base": f"--upload-pack=touch {pwned}"}], "invalid git ref"),
        ("llmcost.init", [tmp_path.as_uri()], "no workspace folder to initialise"),
        ("llmcost.switchModel", [{"bogus": 1}], ""),
    ]
    try:
        for number, (command, arguments, says) in enumerate(cases, start=30):
            client.raw(client.frame({"jsonrpc": "2.0", "id": number,
                "method": "workspace/executeCommand",
                "params": {"command": command, "arguments": arguments}}))  # fmt: skip
            error = client.answer(number)["error"]
            assert error["code"] in (-32803, -32602), error
            assert says in error["message"] and "data" not in error
            assert "Traceback" not in error["message"] and 'File "' not in error["message"]
        client.close()
    finally:
        client.process.kill()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"] and not pwned.exists()
    assert sorted(p.name for p in ws.iterdir()) == [".cache", ".git", "llm-cost.toml", "prompts"]
