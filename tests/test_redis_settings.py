"""Redis mode's settings and the `worker` command's refusals."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.redis.worker import run_worker
from bot.settings import SettingsError, from_environment
from tests.conftest import APP_ID, WEBHOOK_SECRET


def environment(private_key: str, **extra: str) -> dict[str, str]:
    return {"GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": private_key,
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, **extra}


def test_redis_mode_is_off_unless_a_url_is_set(app_key: tuple[str, str]) -> None:
    settings = from_environment(environment(app_key[0]))
    assert settings.redis_url is None
    assert settings.redis_lease == 30.0


def test_redis_url_and_lease_are_read_and_the_url_stays_out_of_repr(
        app_key: tuple[str, str]) -> None:
    settings = from_environment(environment(
        app_key[0], SSOT_REDIS_URL="redis://:hunter2@redis.internal:6379/0",
        SSOT_REDIS_LEASE="12.5"))
    assert settings.redis_url == "redis://:hunter2@redis.internal:6379/0"
    assert settings.redis_lease == 12.5
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(("name", "value"), [
    ("SSOT_REDIS_URL", "http://redis.internal:6379"),
    ("SSOT_REDIS_LEASE", "soon"),
    ("SSOT_REDIS_LEASE", "0"),
])
def test_a_malformed_redis_setting_is_named(app_key: tuple[str, str], name: str,
                                            value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        from_environment(environment(app_key[0], **{name: value}))


def test_worker_refuses_to_run_without_redis(app_key: tuple[str, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = from_environment(environment(app_key[0]))
    assert run_worker(settings) == 2
    assert "SSOT_REDIS_URL" in capsys.readouterr().err


def test_worker_command_names_a_missing_setting(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    assert main(["worker"]) == 2
    assert "GITHUB_APP_ID" in capsys.readouterr().err


def test_worker_command_says_first_that_redis_is_not_set(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("SSOT_REDIS_URL", "GITHUB_APP_ID", "GITHUB_PRIVATE_KEY",
                 "GITHUB_PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ssot-bot: error: 4 settings are missing or malformed: "
                          "SSOT_REDIS_URL is not set (workers need Redis); GITHUB_APP_ID")
