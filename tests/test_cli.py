"""The `jixiao` command line maps its arguments to the right management command or program."""

from __future__ import annotations

import pytest

from jixiao import cli


def test_demo_arguments():
    assert cli.plan(["demo"]).manage == ["demo"]
    p = cli.plan(["demo", "--seed", "7", "--people", "500", "--reset"])
    assert p.manage == ["demo", "--seed", "7", "--people", "500", "--reset"]
    assert cli.plan(["demo", "--if-empty"]).manage == ["demo", "--if-empty"]
    assert p.env["JIXIAO_DEMO"]


def test_demo_reset_and_if_empty_exclude_each_other():
    with pytest.raises(SystemExit):
        cli.plan(["demo", "--reset", "--if-empty"])


def test_import_and_export():
    assert cli.plan(["import", "org", "people.xlsx"]).manage == ["import_org", "people.xlsx"]
    assert cli.plan(["import", "org", "p.xlsx", "--dry-run"]).manage == [
        "import_org",
        "p.xlsx",
        "--dry-run",
    ]
    assert cli.plan(["export", "org", "out.xlsx"]).manage == ["export_org", "out.xlsx"]
    assert cli.plan(["export", "org", "out.csv", "--kind", "people"]).manage == [
        "export_org",
        "out.csv",
        "--kind",
        "people",
    ]
    with pytest.raises(SystemExit):
        cli.plan(["import", "appraisals", "x.xlsx"])


def _option(program: list[str], name: str) -> str:
    return program[program.index(name) + 1]


def test_serve_defaults(monkeypatch):
    for name in ("JIXIAO_WORKERS", "JIXIAO_THREADS", "PORT", "JIXIAO_HOST"):
        monkeypatch.delenv(name, raising=False)
    program = cli.plan(["serve"]).program
    assert program[0].endswith("granian")
    assert _option(program, "--interface") == "wsgi"
    assert _option(program, "--blocking-threads") == "4"
    assert _option(program, "--workers") == "1"
    assert _option(program, "--host") == "127.0.0.1"
    assert _option(program, "--port") == "8000"
    assert program[-1] == "config.wsgi:application"


def test_serve_options_and_environment(monkeypatch):
    monkeypatch.setenv("JIXIAO_WORKERS", "3")
    monkeypatch.setenv("JIXIAO_THREADS", "8")
    program = cli.plan(["serve", "--host", "0.0.0.0", "--port", "9000"]).program
    assert _option(program, "--workers") == "3"
    assert _option(program, "--blocking-threads") == "8"
    assert _option(program, "--host") == "0.0.0.0"
    assert _option(program, "--port") == "9000"
    # Options on the command line win over the environment.
    program = cli.plan(["serve", "--workers", "2", "--threads", "6"]).program
    assert _option(program, "--workers") == "2"
    assert _option(program, "--blocking-threads") == "6"


def test_serve_passes_extra_granian_arguments():
    program = cli.plan(["serve", "--port", "8001", "--", "--access-log"]).program
    assert "--access-log" in program
    assert program[-1] == "config.wsgi:application"


def test_serve_rejects_bad_numbers(monkeypatch):
    with pytest.raises(SystemExit):
        cli.plan(["serve", "--threads", "0"])
    monkeypatch.setenv("JIXIAO_THREADS", "many")
    with pytest.raises(SystemExit):
        cli.plan(["serve"])


def test_worker_passes_arguments_through():
    assert cli.plan(["worker"]).manage == ["db_worker"]
    assert cli.plan(["worker", "--batch", "--queue-name", "*"]).manage == [
        "db_worker",
        "--batch",
        "--queue-name",
        "*",
    ]


def test_bench():
    assert cli.plan(["bench", "org"]).manage == ["bench", "org"]
    assert cli.plan(["bench", "org", "--people", "5000", "--json", "--force"]).manage == [
        "bench",
        "org",
        "--people",
        "5000",
        "--json",
        "--force",
    ]
    with pytest.raises(SystemExit):
        cli.plan(["bench", "everything"])


def test_manage_passes_anything_to_django():
    assert cli.plan(["manage", "migrate", "--noinput"]).manage == ["migrate", "--noinput"]
    assert cli.plan(["manage"]).manage == ["help"]


def test_help_is_bilingual(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.plan(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("demo", "import", "export", "serve", "worker", "bench", "manage"):
        assert word in text
    assert "演示" in text and "demo organization" in text


def test_main_runs_a_management_command(monkeypatch):
    seen: list[list[str]] = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    assert cli.main(["manage", "check"]) == 0
    assert seen == [["jixiao", "check"]]
