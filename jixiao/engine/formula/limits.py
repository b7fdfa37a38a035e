"""Hard limits that keep every formula cheap to parse and evaluate.

Formulas come from users (indicator definitions, custom rules, the API), so no input may hang
the parser, overflow the Python stack or exhaust memory. The numbers are documented in
docs/formula.md; changing them is a user-visible change.
"""

from __future__ import annotations

MAX_LENGTH = 2000
"""Characters of source text."""

MAX_NESTING = 64
"""Parentheses, function calls and prefix signs nested inside each other."""

MAX_TREE_DEPTH = 256
"""Height of the syntax tree; long operator chains such as `[a]+[b]+...` build tall trees."""

MAX_NODES = 1000
"""Nodes of the syntax tree."""

MAX_ARGUMENTS = 255
"""Arguments of one function call (Excel's limit)."""

MAX_TEXT_LENGTH = 32767
"""Characters of one text value produced by `&`; longer results are #VALUE!, as in Excel."""
