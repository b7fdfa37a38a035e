"""The supported functions: how many arguments each takes and what each argument must be.

The checker uses this table for arity and literal-type errors, and docs/formula.md describes
the same table; the vectorized implementations live in `functions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from .limits import MAX_ARGUMENTS


class Role(Enum):
    """What an argument position expects."""

    NUMBER = "number"
    LOGICAL = "logical"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    min_args: int
    max_args: int
    roles: tuple[Role, ...]
    """Roles of the first arguments; the last role repeats (IFS: the pair repeats)."""
    pairs: bool = False
    """Arguments come in (condition, value) pairs, as in IFS."""

    def role(self, index: int) -> Role:
        if self.pairs:
            return self.roles[index % 2]
        return self.roles[min(index, len(self.roles) - 1)]

    def arity_ok(self, count: int) -> bool:
        if not self.min_args <= count <= self.max_args:
            return False
        return not (self.pairs and count % 2)

    def arity_text(self) -> tuple[str, str]:
        """The accepted argument counts, in Chinese and English."""
        if self.pairs:
            return (
                "成对的参数（条件, 值, 条件, 值, …）",
                "pairs of arguments (condition, value, ...)",
            )
        if self.min_args == self.max_args:
            return f"{self.min_args} 个参数", _plural(self.min_args)
        if self.max_args >= MAX_ARGUMENTS:
            return f"至少 {self.min_args} 个参数", f"at least {_plural(self.min_args)}"
        return (
            f"{self.min_args} 到 {self.max_args} 个参数",
            f"{self.min_args} to {self.max_args} arguments",
        )


def _plural(count: int) -> str:
    return f"{count} argument" + ("" if count == 1 else "s")


_N, _L, _A = Role.NUMBER, Role.LOGICAL, Role.ANY
_MANY: Final = MAX_ARGUMENTS

SIGNATURES: Final[dict[str, Signature]] = {
    s.name: s
    for s in (
        Signature("IF", 2, 3, (_L, _A, _A)),
        Signature("IFS", 2, _MANY - 1, (_L, _A), pairs=True),
        Signature("IFERROR", 2, 2, (_A, _A)),
        Signature("AND", 1, _MANY, (_L,)),
        Signature("OR", 1, _MANY, (_L,)),
        Signature("NOT", 1, 1, (_L,)),
        Signature("MIN", 1, _MANY, (_N,)),
        Signature("MAX", 1, _MANY, (_N,)),
        Signature("SUM", 1, _MANY, (_N,)),
        Signature("AVERAGE", 1, _MANY, (_N,)),
        Signature("MEDIAN", 1, _MANY, (_N,)),
        Signature("ROUND", 2, 2, (_N, _N)),
        Signature("ROUNDUP", 2, 2, (_N, _N)),
        Signature("ROUNDDOWN", 2, 2, (_N, _N)),
        Signature("ABS", 1, 1, (_N,)),
        Signature("SQRT", 1, 1, (_N,)),
        Signature("POWER", 2, 2, (_N, _N)),
        Signature("LN", 1, 1, (_N,)),
        Signature("EXP", 1, 1, (_N,)),
        Signature("ISBLANK", 1, 1, (_A,)),
    )
}
