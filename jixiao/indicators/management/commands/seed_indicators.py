"""manage.py seed_indicators: load the preloaded indicator library (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.indicators.services import indicators_seed


class Command(BaseCommand):
    help = (
        "加载预置指标库（已有编码的指标保持不变）/ Load the preloaded indicator library "
        "(indicators whose code exists are left alone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help=(
                "把已有的预置指标恢复为预置内容（在用的指标生成新版本）/ bring existing "
                "preloaded indicators back to the preloaded content (new versions when in use)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = indicators_seed(
                actor=Actor.system("seed_indicators", source="cli"), update=options["update"]
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"新建 created {counts.created}，更新 updated {counts.updated}，"
            f"新版本 new versions {counts.new_versions}，未变 unchanged {counts.unchanged}"
        )
