"""The `jixiao` command: demo data, import/export, serving, the task worker, benchmarks.

`plan(argv)` turns the command line into a `Plan` (a Django management command to run in this
process, or a program to exec) without side effects, so the mapping is testable; `main` runs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DESCRIPTION = """\
绩效（Jixiao）命令行 / the Jixiao command line

命令 commands:
  demo      生成演示组织和演示账号 / build the demo organization and demo accounts
  import    导入组织数据（人员、部门、岗位）或目标与工作计划 /
            import organization data, or goals and work plans, from a workbook
  export    导出组织数据或目标与工作计划 / export organization data, or goals, to a workbook
  seed      加载预置数据（指标库）/ load preloaded data: seed indicators
  serve     启动网页服务（granian WSGI）/ serve the web application (granian, WSGI)
  worker    启动后台任务处理进程 / run the background task worker
  engine    计算引擎：AHP、熵权、TOPSIS、公式、计分规则（无需数据库）/
            the scoring engine on CSV/xlsx files: AHP, entropy, TOPSIS, formulas, rules
  bench     性能基准测试 / benchmarks
  manage    其他 Django 管理命令 / any other Django management command
"""

EPILOG = """\
示例 examples:
  jixiao demo --people 260 --if-empty
  jixiao import org 人员名册.xlsx --dry-run
  jixiao export org 组织.xlsx --kind people
  jixiao import goals 目标.xlsx --dry-run
  jixiao export goals 目标.xlsx --period 2026
  jixiao seed indicators
  jixiao serve --host 0.0.0.0 --port 8000 --workers 2 --threads 4
  jixiao worker
  jixiao bench org --people 100000 --json
  jixiao bench goals --people 100000
  jixiao bench cycle --people 100000 --shape per-person
  jixiao bench engine
  jixiao engine ahp 判断矩阵.csv
  jixiao engine --help
  jixiao manage migrate
"""

DEFAULT_THREADS = 4
DEFAULT_WORKERS = 1
WSGI_TARGET = "config.wsgi:application"


@dataclass(frozen=True)
class Plan:
    """What to run: a management command (`manage`) or a program to exec (`program`)."""

    manage: list[str] = field(default_factory=list)
    program: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # Arguments for `jixiao.engine_cli.main`, run in this process without Django.
    engine: tuple[str, ...] | None = None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def granian_executable() -> str:
    """granian next to this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("granian")
    if beside.exists():
        return str(beside)
    return shutil.which("granian") or "granian"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jixiao",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="生成演示组织 / build the demo organization")
    demo.add_argument("--seed", type=int, help="随机种子 / random seed (default 2026)")
    demo.add_argument("--people", type=_positive, help="人数 / number of people (default 260)")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--reset", action="store_true", help="删除后重建 / delete and rebuild")
    mode.add_argument(
        "--if-empty", action="store_true", help="已有组织则跳过 / skip if an organization exists"
    )

    imp = sub.add_parser("import", help="导入组织数据或目标 / import organization data or goals")
    imp.add_argument(
        "kind",
        choices=["org", "goals"],
        help="org: 组织（部门、岗位、人员）; goals: 目标、关键结果、工作计划、里程碑",
    )
    imp.add_argument("file", help="Excel 或 CSV 文件 / .xlsx or .csv file")
    imp.add_argument(
        "--dry-run", action="store_true", help="只校验不写入 / validate only, write nothing"
    )

    exp = sub.add_parser("export", help="导出组织数据或目标 / export organization data or goals")
    exp.add_argument(
        "kind",
        choices=["org", "goals"],
        help="org: 组织（部门、岗位、人员）; goals: 目标、关键结果、工作计划、里程碑",
    )
    exp.add_argument("file", help="输出文件 / output file (.xlsx)")
    exp.add_argument("--kind", dest="sheet", help="只导出一类 / export one kind only (org)")
    exp.add_argument(
        "--period",
        help="只导出该周期内的目标 / only goals within this period (goals): 2026, 2026-Q3…",
    )

    seed = sub.add_parser("seed", help="加载预置数据 / load preloaded data")
    seed.add_argument(
        "target", choices=["indicators"], help="indicators: 预置指标库 / the preloaded library"
    )
    seed.add_argument(
        "--update",
        action="store_true",
        help="把已有的预置指标恢复为预置内容 / bring preloaded indicators back to their content",
    )

    serve = sub.add_parser(
        "serve",
        help="启动网页服务 / serve the web application",
        description="启动 granian WSGI 服务 / serve with granian (WSGI). "
        "Arguments after -- go to granian unchanged.",
    )
    serve.add_argument("--host", default=os.environ.get("JIXIAO_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=_positive, default=None, help="default 8000 or $PORT")
    serve.add_argument(
        "--workers", type=_positive, default=None, help="进程数 / processes ($JIXIAO_WORKERS, 1)"
    )
    serve.add_argument(
        "--threads",
        type=_positive,
        default=None,
        help="每进程线程数 / blocking threads per process ($JIXIAO_THREADS, 4)",
    )

    sub.add_parser(
        "worker",
        help="后台任务进程 / run the task worker",
        description="运行 django-tasks-db 的 db_worker；其余参数原样传递 / "
        "runs db_worker; other arguments pass through (e.g. --batch, --queue-name).",
    )

    bench = sub.add_parser("bench", help="性能基准 / benchmarks")
    bench.add_argument(
        "target",
        choices=["org", "goals", "cycle", "engine"],
        help="org: 组织规模基准 / organization scale; goals: 目标规模基准 / goals at scale; "
        "cycle: 考核周期基准 / an appraisal cycle at scale; engine: 计算引擎 / the scoring engine",
    )
    bench.add_argument(
        "--shape",
        choices=["org", "per-person"],
        help="cycle: org 全组织 / the whole organization (default); per-person 逐人提交 / "
        "forms submitted one by one",
    )
    bench.add_argument("--people", type=_positive, help="人数 / people (default 100000)")
    bench.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    bench.add_argument(
        "--force",
        action="store_true",
        help="清空已有组织（和目标）数据 / wipe an existing organization (and its goals)",
    )

    sub.add_parser(
        "engine",
        help="计算引擎命令 / scoring engine commands (jixiao engine --help)",
        add_help=False,
    )
    sub.add_parser("manage", help="Django 管理命令 / a Django management command")
    return p


PASS_THROUGH = {"manage", "worker"}


def plan(argv: Sequence[str]) -> Plan:
    """Map the command line to what should run. Raises SystemExit on bad arguments."""
    args_list = list(argv)
    if args_list and args_list[0] == "engine":
        return Plan(engine=tuple(args_list[1:]))
    if args_list and args_list[0] in PASS_THROUGH:
        rest = args_list[1:]
        if args_list[0] == "worker":
            return Plan(manage=["db_worker", *rest])
        if not rest:
            return Plan(manage=["help"])
        return Plan(manage=rest)

    extra: list[str] = []
    if args_list and args_list[0] == "serve" and "--" in args_list:
        cut = args_list.index("--")
        args_list, extra = args_list[:cut], args_list[cut + 1 :]

    p = parser()
    args = p.parse_args(args_list)
    if args.command is None:
        p.print_help()
        raise SystemExit(0)

    if args.command == "demo":
        cmd = ["demo"]
        if args.seed is not None:
            cmd += ["--seed", str(args.seed)]
        if args.people is not None:
            cmd += ["--people", str(args.people)]
        if args.reset:
            cmd.append("--reset")
        if args.if_empty:
            cmd.append("--if-empty")
        # The demo is a local trial: allow the development secret key for this command.
        return Plan(manage=cmd, env={"JIXIAO_DEMO": os.environ.get("JIXIAO_DEMO", "1")})
    if args.command == "import":
        command = "import_goals" if args.kind == "goals" else "import_org"
        return Plan(manage=[command, args.file, *(["--dry-run"] if args.dry_run else [])])
    if args.command == "export" and args.kind == "goals":
        if args.sheet:
            p.error("--kind applies to `export org` only")
        return Plan(
            manage=["export_goals", args.file, *(["--period", args.period] if args.period else [])]
        )
    if args.command == "export":
        if args.period:
            p.error("--period applies to `export goals` only")
        return Plan(
            manage=["export_org", args.file, *(["--kind", args.sheet] if args.sheet else [])]
        )
    if args.command == "seed":
        return Plan(manage=["seed_indicators", *(["--update"] if args.update else [])])
    if args.command == "bench" and args.target == "engine":
        if args.shape is not None:
            p.error("--shape applies to `bench cycle` only")
        options = ["--people", str(args.people)] if args.people is not None else []
        return Plan(engine=("bench", *options, *(["--json"] if args.json else [])))
    if args.command == "bench":
        cmd = ["bench", args.target]
        if args.people is not None:
            cmd += ["--people", str(args.people)]
        if args.shape is not None:
            if args.target != "cycle":
                p.error("--shape applies to `bench cycle` only")
            cmd += ["--shape", args.shape]
        if args.json:
            cmd.append("--json")
        if args.force:
            cmd.append("--force")
        # Like the demo, a benchmark database is a trial: the development key is allowed.
        return Plan(manage=cmd, env={"JIXIAO_DEMO": os.environ.get("JIXIAO_DEMO", "1")})
    if args.command == "serve":
        port = args.port or _env_int("PORT", 8000)
        workers = args.workers or _env_int("JIXIAO_WORKERS", DEFAULT_WORKERS)
        threads = args.threads or _env_int("JIXIAO_THREADS", DEFAULT_THREADS)
        if workers < 1 or threads < 1:
            raise SystemExit("JIXIAO_WORKERS and JIXIAO_THREADS must be at least 1")
        program = [
            granian_executable(),
            "--interface",
            "wsgi",
            "--host",
            args.host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            # Set explicitly: granian's default blocking-thread count gave unstable latency.
            "--blocking-threads",
            str(threads),
            "--no-ws",
            "--respawn-failed-workers",
            *extra,
            WSGI_TARGET,
        ]
        return Plan(program=program)
    raise SystemExit(f"unknown command {args.command!r}")  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jixiao` console script."""
    what = plan(sys.argv[1:] if argv is None else argv)
    if what.engine is not None:
        from jixiao import engine_cli

        return engine_cli.main(list(what.engine))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(what.env)
    if what.program:
        sys.stdout.flush()
        os.execv(what.program[0], what.program)  # replaces this process; signals go to granian
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jixiao", *what.manage])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
