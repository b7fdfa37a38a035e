"""Turn formula text into tokens, each with the 1-based column where it starts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from .errors import FormulaError
from .limits import MAX_LENGTH


class Kind(Enum):
    NUMBER = "number"
    STRING = "string"
    VARIABLE = "variable"
    NAME = "name"
    OP = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    """The operator or name as written; for STRING and VARIABLE the unquoted value."""
    position: int
    number: float = 0.0


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TWO_CHAR_OPS: Final = ("<>", "<=", ">=")
_ONE_CHAR_OPS: Final = frozenset("+-*/^&%=<>")
_DIGITS: Final = frozenset("0123456789")

# Characters Chinese input methods produce where the ASCII one was meant.
_FULL_WIDTH: Final[dict[str, str]] = {
    "（": "(",
    "）": ")",
    "，": ",",
    "“": '"',
    "”": '"',
    "＂": '"',
    "【": "[",
    "】": "]",
    "［": "[",
    "］": "]",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "×": "*",
    "／": "/",
    "÷": "/",
    "＾": "^",
    "＝": "=",
    "＜": "<",
    "＞": ">",
    "％": "%",
    "＆": "&",
    "；": ",",
    "：": ":",
}
_HINTS: Final[dict[str, tuple[str, str]]] = {
    ";": ("函数参数之间请用逗号“,”分隔", "separate function arguments with a comma ','"),
    "'": ('文本请用英文双引号“"”括起来', "quote text with double quotes '\"'"),
    ":": ("不支持单元格区域，请逐个列出变量", "cell ranges are not supported; list the variables"),
    "{": ("不支持数组常量", "array constants are not supported"),
    "}": ("不支持数组常量", "array constants are not supported"),
    "]": ("多余的“]”", "a ']' without a matching '['"),
}


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_."


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens ending with an END token; raise FormulaError on bad text."""
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            "too_long",
            f"公式过长：{len(source)} 个字符，最多 {MAX_LENGTH} 个",
            f"the formula is too long: {len(source)} characters, at most {MAX_LENGTH}",
        )
    tokens: list[Token] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        pos = i + 1
        if ch.isspace():
            i += 1
        elif (ch.isascii() and ch.isdigit()) or (
            ch == "." and i + 1 < n and source[i + 1] in _DIGITS
        ):
            match = _NUMBER.match(source, i)
            assert match is not None  # the first character is a digit or ".digit"
            text = match.group()
            value = float(text)
            if not math.isfinite(value):
                raise FormulaError(
                    "bad_number",
                    f"数字 {text} 超出范围",
                    f"the number {text} is out of range",
                    pos,
                )
            tokens.append(Token(Kind.NUMBER, text, pos, value))
            i = match.end()
        elif ch == '"':
            i = _lex_string(source, i, tokens)
        elif ch == "[":
            i = _lex_variable(source, i, tokens)
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(source[j]):
                j += 1
            tokens.append(Token(Kind.NAME, source[i:j], pos))
            i = j
        elif source.startswith(_TWO_CHAR_OPS, i):
            tokens.append(Token(Kind.OP, source[i : i + 2], pos))
            i += 2
        elif ch in _ONE_CHAR_OPS:
            tokens.append(Token(Kind.OP, ch, pos))
            i += 1
        elif ch == "(":
            tokens.append(Token(Kind.LPAREN, ch, pos))
            i += 1
        elif ch == ")":
            tokens.append(Token(Kind.RPAREN, ch, pos))
            i += 1
        elif ch == ",":
            tokens.append(Token(Kind.COMMA, ch, pos))
            i += 1
        else:
            raise _bad_character(ch, pos)
    tokens.append(Token(Kind.END, "", n + 1))
    return tokens


def _lex_string(source: str, start: int, tokens: list[Token]) -> int:
    """Read `"..."` where `""` is one quote, as in Excel; return the index after it."""
    parts: list[str] = []
    i = start + 1
    n = len(source)
    while True:
        end = source.find('"', i)
        if end < 0:
            raise FormulaError(
                "unclosed_string",
                "文本缺少结尾的双引号",
                "the text has no closing double quote",
                start + 1,
            )
        parts.append(source[i:end])
        if end + 1 < n and source[end + 1] == '"':
            parts.append('"')
            i = end + 2
            continue
        tokens.append(Token(Kind.STRING, "".join(parts), start + 1))
        return end + 1


def _lex_variable(source: str, start: int, tokens: list[Token]) -> int:
    """Read `[name]`; names may hold any characters except brackets and line breaks."""
    i = start + 1
    n = len(source)
    while i < n and source[i] not in "[]\r\n":
        i += 1
    if i >= n or source[i] != "]":
        raise FormulaError(
            "unclosed_variable",
            "变量名缺少结尾的“]”",
            "the variable name has no closing ']'",
            start + 1,
        )
    name = source[start + 1 : i].strip()
    if not name:
        raise FormulaError(
            "empty_variable",
            "方括号中缺少变量名",
            "the square brackets hold no variable name",
            start + 1,
        )
    tokens.append(Token(Kind.VARIABLE, name, start + 1))
    return i + 1


def _bad_character(ch: str, pos: int) -> FormulaError:
    if ch in _FULL_WIDTH:
        ascii_ch = _FULL_WIDTH[ch]
        return FormulaError(
            "unexpected_character",
            f"全角字符“{ch}”，请改用半角“{ascii_ch}”",
            f"the full-width character '{ch}' is not allowed; use '{ascii_ch}'",
            pos,
        )
    zh, en = _HINTS.get(ch, ("无法识别的字符", "unexpected character"))
    shown = ch if ch.isprintable() else repr(ch)
    return FormulaError("unexpected_character", f"“{shown}”：{zh}", f"'{shown}': {en}", pos)
