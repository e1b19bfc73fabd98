"""Every step of README.md and sdk/python/README.md, in document order, twice, against the
hub as ``make run`` starts it.

The hub is ``evenly-hub serve --demo`` (in-process webhook worker, SQLite, keys generated)
with its own data directory and a free port; ``--demo`` itself lets the READMEs' receivers
on this machine in (no ``EVENLY_ALLOW_*`` setting is passed). The steps run in a scratch copy of the
repository's layout (its files linked, ``.evenly`` being the hub's data directory), so
``. .evenly/demo.env`` loads that hub's address and credentials, as it does after
``make run``. Each round is a new terminal:

* ``sh`` blocks run one after another in one bash session (variables and functions carry
  over, as in a terminal);
* ``graphql`` blocks: each operation is sent with the creditor's token (``$CREDITOR`` of the
  session); an operation's variables are the session's shell variables of the same names
  (GraphiQL's Variables pane for a reader); subscriptions go over the websocket and must be
  accepted;
* ``python`` blocks run with the dev virtualenv's interpreter and the session's exported
  variables.

A step fails on a non-zero exit, a traceback, a failed shell command, or any API answer it
prints with ``errors``, an OAuth ``error`` or a non-empty ``userErrors``. Blocks marked
``<!-- not-a-step: why -->`` are left out (``tests/readme_snippets.py``).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse, print_ast

from tests.e2e.conftest import HUB, free_port
from tests.e2e.ws_client import subscriber
from tests.readme_snippets import READMES, REPO_ROOT, Block, json_lines, problems, steps

STEP_TIMEOUT = 180.0


class Terminal:
    """One interactive-like bash session, fed a block at a time."""

    def __init__(self, cwd: Path, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.count = 0
        self.process = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # Any command that fails (outside a condition) is reported, as a terminal shows it.
        self.send("trap 'echo \"STEP FAILED: $BASH_COMMAND (exit $?)\" >&2' ERR")

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def run(self, text: str) -> tuple[int, str, str]:
        """Source ``text`` in the session: exit status, stdout, stderr."""
        self.count += 1
        base = self.scratch / f"step-{self.count}"
        script, out, err, rc = (base.with_suffix(s) for s in (".sh", ".out", ".err", ".rc"))
        script.write_text(text)
        tmp_rc = base.with_suffix(".rc-tmp")
        self.send(
            f"source {shlex.quote(str(script))} >{shlex.quote(str(out))} 2>{shlex.quote(str(err))}"
            f" </dev/null; echo $? >{shlex.quote(str(tmp_rc))}; mv {tmp_rc} {rc}"
        )
        deadline = time.monotonic() + STEP_TIMEOUT
        while not rc.exists():
            if self.process.poll() is not None:
                return 255, out.read_text(), err.read_text() + "\n(the shell exited)"
            if time.monotonic() > deadline:
                return 254, out.read_text(), err.read_text() + "\n(timed out)"
            time.sleep(0.05)
        return int(rc.read_text()), out.read_text(), err.read_text()

    def value(self, name: str) -> str | None:
        """The shell variable ``name``, or None when it is unset."""
        _, out, _ = self.run(f'[ -n "${{{name}+set}}" ] && printf %s "${name}"; true')
        return out if out else None

    def exported(self) -> dict[str, str]:
        _, out, _ = self.run("env -0")
        pairs = (item.split("=", 1) for item in out.split("\0") if "=" in item)
        return {k: v for k, v in pairs}

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("kill $(jobs -p) 2>/dev/null; exit")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _check_output(block: Block, status: int, out: str, err: str) -> None:
    shown = f"{block.where} ({block.lang})\n--- stdout\n{out[-4000:]}\n--- stderr\n{err[-4000:]}"
    assert status == 0, f"exit {status}: {shown}"
    assert "Traceback" not in out + err, shown
    assert "STEP FAILED" not in err, shown
    for answer in json_lines(out + "\n" + err):
        assert not problems(answer), f"{problems(answer)}: {shown}"


def _run_python(block: Block, terminal: Terminal, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", block.text],
        cwd=cwd,
        env=terminal.exported(),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )
    _check_output(block, done.returncode, done.stdout, done.stderr)


def _run_graphql(block: Block, terminal: Terminal, base_url: str) -> None:
    token = terminal.value("CREDITOR")
    assert token, f"{block.where}: no $CREDITOR token in the session before this block"
    for definition in parse(block.text).definitions:
        assert isinstance(definition, OperationDefinitionNode), block.where
        query = print_ast(definition)
        variables = {}
        for declared in definition.variable_definitions or ():
            value = terminal.value(declared.variable.name.value)
            if value is not None:
                variables[declared.variable.name.value] = value
        where = f"{block.where}: {query.splitlines()[0]}"
        if definition.operation is OperationType.SUBSCRIPTION:
            asyncio.run(_subscribe(base_url, token, query, variables, where))
            continue
        response = httpx.post(
            f"{base_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert response.status_code == 200, f"{where}: {response.text}"
        assert not problems(response.json()), f"{where}: {response.text}"


async def _subscribe(
    base_url: str, token: str, query: str, variables: dict[str, str], where: str
) -> None:
    """The subscription is accepted: no error within a second (events may or may not come)."""
    async with subscriber(base_url, token) as socket:
        await socket.subscribe(query, variables)
        try:
            message = await socket.receive(seconds=1.0)
        except TimeoutError:
            return
        assert message["type"] == "next", f"{where}: {message}"
        assert not problems(message["payload"]), f"{where}: {message}"


def _scratch_checkout(root: Path) -> Path:
    """A directory that looks like the repository (its entries linked), without .evenly."""
    work = root / "checkout"
    work.mkdir()
    for entry in REPO_ROOT.iterdir():
        if entry.name not in (".evenly", ".git"):
            (work / entry.name).symlink_to(entry)
    return work


def _start_hub(work: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (work.parent / "hub.log").open("wb")
    process = subprocess.Popen(
        [HUB, "serve", "--demo", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (work.parent / "hub.log").read_text()
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError((work.parent / "hub.log").read_text())


@dataclass
class Checkout:
    """A scratch checkout whose ``.evenly`` belongs to a running ``serve --demo``."""

    work: Path
    env: dict[str, str]
    base_url: str
    log: Path


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Checkout]:
    work = _scratch_checkout(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")  # `evenly login` and friends write under it
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / ".config")
    hub, base_url = _start_hub(work, env)
    try:
        yield Checkout(work, env, base_url, tmp_path / "hub.log")
        assert hub.poll() is None, "the hub stopped while the steps ran"
        log = (tmp_path / "hub.log").read_text()
        assert "Traceback" not in log, log[-4000:]
    finally:
        hub.terminate()
        try:
            hub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_every_readme_step_runs_in_order_twice(checkout: Checkout, tmp_path: Path) -> None:
    for round_ in (1, 2):
        scratch = tmp_path / f"round-{round_}"
        scratch.mkdir()
        terminal = Terminal(checkout.work, checkout.env, scratch)
        try:
            for readme in READMES:
                for block in steps(readme):
                    if block.lang == "sh":
                        _check_output(block, *terminal.run(block.text))
                    elif block.lang == "graphql":
                        _run_graphql(block, terminal, checkout.base_url)
                    else:
                        _run_python(block, terminal, checkout.work)
        finally:
            terminal.close()


def test_make_run_prints_the_export_lines_it_writes_to_demo_env(checkout: Checkout) -> None:
    exports = [
        line
        for line in (checkout.work / ".evenly" / "demo.env").read_text().splitlines()
        if line.startswith("export ")
    ]
    names = {word.split("=")[0] for line in exports for word in line.split()[1:]}
    assert names == {
        "EVENLY_BASE_URL",
        "CREDITOR_CLIENT_ID",
        "CREDITOR_CLIENT_SECRET",
        "AGENCY_CLIENT_ID",
        "AGENCY_CLIENT_SECRET",
        "EVENLY_CLIENT_ID",
        "EVENLY_CLIENT_SECRET",
    }
    assert f"export EVENLY_BASE_URL={checkout.base_url}" in exports
    banner = checkout.log.read_text()
    assert all(f"  {line}\n" in banner for line in exports), banner
    assert oct((checkout.work / ".evenly" / "demo.env").stat().st_mode & 0o777) == "0o600"


def test_the_quickstart_says_in_one_line_why_it_got_no_token(
    checkout: Checkout, tmp_path: Path
) -> None:
    [quickstart] = [b for b in steps(READMES[0], ("sh",)) if "token()" in b.text]
    terminal = Terminal(checkout.work, checkout.env, tmp_path)
    try:
        _check_output(quickstart, *terminal.run(quickstart.text))
        _, out, err = terminal.run('token "$CREDITOR_CLIENT_ID" wrong-secret')
        assert out == ""
        assert err.splitlines()[0] == (
            "token: invalid_client: unknown client, wrong secret or revoked client"
        ), err
        _, out, err = terminal.run(f"EVENLY_BASE_URL=http://127.0.0.1:{free_port()} token a b")
        assert out == "" and err.startswith("token: no answer from the hub at "), err
        assert "Traceback" not in err
    finally:
        terminal.close()
