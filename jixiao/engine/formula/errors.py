"""The one exception of the formula language, and the bilingual messages it carries.

Every problem a user can cause (syntax, unknown names, arity, types, limits, bad input columns)
is a `FormulaError` with a stable machine-readable `code`, so pages and the API can show the
Chinese message next to the field and clients can branch on the code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class FormulaError(ValueError):
    """A formula that cannot be parsed, compiled or evaluated.

    `position` is the 1-based character column in the source (None when the problem is not
    tied to a place, e.g. a missing input column); `suggestion` is the closest known name for
    unknown variables and functions.
    """

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        position: int | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.code = code
        self.position = position
        self.suggestion = suggestion
        if position is not None:
            message_zh = f"第 {position} 个字符处：{message_zh}"
            message_en = f"Column {position}: {message_en}"
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the error picklable (task queues, multiprocessing) despite the custom __init__.
        return (
            _rebuild,
            (self.code, self.message_zh, self.message_en, self.position, self.suggestion),
        )


def _rebuild(
    code: str, message_zh: str, message_en: str, position: int | None, suggestion: str | None
) -> FormulaError:
    err = FormulaError(code, message_zh, message_en, None, suggestion)
    err.position = position
    return err


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The known name a user most likely meant, or None when nothing is close.

    Case differences count as near misses (ASCII names), so `[Target]` suggests `[target]`.
    """
    pool = list(candidates)
    if not pool:
        return None
    folded = {c.casefold(): c for c in pool}
    if name.casefold() in folded:
        return folded[name.casefold()]
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.5)
    if found:
        return found[0]
    # Short names score low with difflib; a shared prefix is still a useful hint.
    prefixed = sorted(c for c in pool if c.startswith(name) or name.startswith(c))
    return prefixed[0] if prefixed and name else None
