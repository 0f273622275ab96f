"""The Dockerfile and compose.yaml, which cannot be run here: they parse, and what they
name (commands, ports, environment variables, the env file) is what the CLI and
`bot/settings.py` have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.settings import DEFAULT_PORT, SettingsError, from_environment

ROOT = Path(__file__).resolve().parent.parent


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each line, continuations joined, comments left out."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, _, rest = stripped.partition(" ")
            found.append((name.upper(), rest.strip()))
    return found


class RecordingEnvironment(dict[str, str]):
    """An environment that records every variable read from it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


def settings_variables() -> set[str]:
    """Every variable `from_environment` reads (it reports every problem at once, so
    one read of an empty environment visits them all)."""
    env = RecordingEnvironment({})
    with pytest.raises(SettingsError):
        from_environment(env, need_redis=True)
    return env.read


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def names_a_command(args: list[str]) -> bool:
    """Whether `ssot-bot ARGS` is a command line the CLI takes (its --help exits 0)."""
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    return exited.value.code == 0


def test_the_checker_tells_a_command_from_a_typo(capsys: pytest.CaptureFixture[str]) -> None:
    assert names_a_command(["worker"])
    assert not names_a_command(["wroker"])
    capsys.readouterr()


def test_the_image_is_slim_runs_as_a_user_and_serves_by_default(
        dockerfile: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    bases = [args.split()[0] for name, args in dockerfile if name == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.\d+-slim", base) for base in bases)
    [user] = [args for name, args in dockerfile if name == "USER"]
    assert user not in ("root", "0")
    [entry] = [json.loads(args) for name, args in dockerfile if name == "ENTRYPOINT"]
    [command] = [json.loads(args) for name, args in dockerfile if name == "CMD"]
    assert [*entry, *command] == ["ssot-bot", "serve"]
    assert names_a_command(command)
    [expose] = [args for name, args in dockerfile if name == "EXPOSE"]
    assert int(expose) == DEFAULT_PORT
    [health] = [args for name, args in dockerfile if name == "HEALTHCHECK"]
    assert "/readyz" in health
    variables = {v for name, args in dockerfile if name == "ENV"
                 for v in re.findall(r"\b([A-Z_]+)=", args)}
    used = set(re.findall(r"os\.environ(?:\.get\(|\[)'([A-Z_]+)'", health))
    assert used and used <= settings_variables()
    assert variables & settings_variables() == {"PORT"}
    capsys.readouterr()


def commands(compose: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    for name, service in compose["services"].items():
        if "build" in service:
            yield name, service["command"]


def test_compose_runs_redis_one_web_and_two_workers_with_real_commands(
        compose: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    services = compose["services"]
    assert dict(commands(compose)) == {"web": ["serve"], "worker": ["worker"]}
    for _name, command in commands(compose):
        assert names_a_command(command)
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["web"].get("deploy", {}).get("replicas", 1) == 1
    redis = services["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
    capsys.readouterr()


def test_compose_environment_and_ports_are_the_settings(compose: dict[str, Any]) -> None:
    known = settings_variables()
    services = compose["services"]
    for name, _command in commands(compose):
        environment = services[name]["environment"]
        assert set(environment) <= known, name
        url = environment["SSOT_REDIS_URL"]
        assert url.startswith("redis://redis:"), "the redis service, by its name"
        # Each setting compose gives passes the settings' own validation.
        with pytest.raises(SettingsError) as raised:
            from_environment(environment)
        assert not any(variable in str(raised.value) for variable in environment)
        assert services[name]["env_file"] == "ssot-bot.env"
    web = services["web"]
    [published] = web["ports"]
    assert published.split(":")[-1] == web["environment"]["PORT"] == str(DEFAULT_PORT)
    assert "SSOT_METRICS_PORT" in services["worker"]["environment"]


def test_the_env_file_compose_reads_is_the_one_setup_writes(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["setup", "--help"])
    assert "default: ssot-bot.env" in capsys.readouterr().out
