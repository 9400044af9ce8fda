"""The live tools find a running `rxsim up` through the file it writes, and only while it runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rxsim.messaging import tokens
from rxsim.messaging.codec import now
from rxsim.messaging.settings import Settings
from rxsim.messaging.tokens import Role
from rxsim.tools import stack


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RXSIM_STATE_DIR", str(tmp_path))
    return tmp_path


def test_no_running_stack_means_no_bootstrap(state_dir: Path) -> None:
    assert stack.running_bootstrap() is None


def test_a_running_stack_is_found(state_dir: Path) -> None:
    (state_dir / "running.json").write_text(
        json.dumps({"pid": os.getpid(), "bootstrap": "127.0.0.1:1234", "urls": {}})
    )
    assert stack.running_bootstrap() == "127.0.0.1:1234"


def test_a_stack_whose_process_is_gone_is_ignored(state_dir: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (state_dir / "running.json").write_text(
        json.dumps({"pid": int(gone.stdout), "bootstrap": "127.0.0.1:1234", "urls": {}})
    )
    assert stack.running_bootstrap() is None


def test_withdraw_removes_the_file(state_dir: Path) -> None:
    (state_dir / "running.json").write_text("{}")
    stack.withdraw()
    assert not (state_dir / "running.json").exists()


def test_the_running_stack_gives_the_tools_tokens_its_services_accept(state_dir: Path) -> None:
    running = stack.Stack(
        Settings(kafka_bootstrap_servers="127.0.0.1:1234"), log_dir=state_dir / "logs"
    )
    stack.announce(running)

    token = stack.running_token(Role.OPERATOR, tokens.OPERATOR)

    assert token is not None
    caller = tokens.verify(running.settings.token_secret, token, (Role.OPERATOR,), now())
    assert caller.role == Role.OPERATOR
    assert (state_dir / "running.json").stat().st_mode & 0o077 == 0  # the key is the user's


def test_each_stack_has_its_own_key_so_another_stacks_tokens_are_refused(tmp_path: Path) -> None:
    first, second = (stack.Stack(Settings(), log_dir=tmp_path) for _ in range(2))

    with pytest.raises(tokens.Refused):
        tokens.verify(second.settings.token_secret, first.token(), (Role.OPERATOR,), now())
