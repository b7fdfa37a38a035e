"""manage.py demo: build the demo organization (某市政务服务管理局) with its demo accounts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from jixiao.org import demo


class Command(BaseCommand):
    help = "生成演示组织和演示账号 / Build the demo organization and demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="随机种子 / random seed"
        )
        parser.add_argument(
            "--people",
            type=int,
            default=demo.DEFAULT_PEOPLE,
            help=f"人数 / number of people (≥ {demo.minimum_people()})",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset",
            action="store_true",
            help="删除现有组织数据后重建 / delete the organization data and rebuild",
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="已有组织时不做任何事 / do nothing when an organization exists",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people: int = options["people"]
        if people < demo.minimum_people():
            raise CommandError(
                f"人数至少为 {demo.minimum_people()} / --people must be at least "
                f"{demo.minimum_people()}"
            )
        today = datetime.date.today()
        try:
            result = demo.build_demo(
                seed=options["seed"],
                people=people,
                reset=options["reset"],
                if_empty=options["if_empty"],
                today=today,
            )
        except IntegrityError as exc:
            raise CommandError(
                "其他数据引用了现有组织，无法重建；请使用新的数据库。\n"
                "Other data refers to the existing organization, so it cannot be rebuilt; "
                f"use a fresh database. ({exc})"
            ) from None
        except demo.OrganizationExists:
            raise CommandError(
                "数据库中已有组织数据。使用 --reset 重建，或 --if-empty 跳过。\n"
                "The database already holds an organization. Use --reset to rebuild it "
                "or --if-empty to leave it."
            ) from None
        out = self.stdout
        if result.built:
            out.write(
                f"演示组织已生成 / demo organization built: {demo.UNIT_NAME}, "
                f"{result.departments} 个部门科室 departments, {result.posts} 个岗位 posts, "
                f"{result.people} 人 people ({result.seconds:.1f} s)"
            )
            for extension in demo.demo_extensions():  # goals and other demo data
                out.write(extension.build(options["seed"], today))
        else:
            out.write("已有组织数据，未做修改 / an organization exists; nothing changed")
        write_accounts(out.write, result.accounts)


def write_accounts(write: Any, accounts: list[tuple[str, str, str]]) -> None:
    if not accounts:
        write("没有演示账号 / no demo accounts in this database")
        return
    write(f"演示账号 / demo accounts (密码 password: {demo.DEMO_PASSWORD})")
    width = max(len(a[0]) for a in accounts)
    for username, label, person in accounts:
        write(f"  {username:<{width}}  {label}  {person}")
