"""A Pratt (precedence-climbing) parser from tokens to the typed syntax tree.

Parsing is purely syntactic: function names, arity and types are checked later (`checker`),
so `parse` and `to_source` work on any well-formed formula. The parser enforces the limits on
nesting, tree height and node count while it builds, so no input can recurse without bound.
"""

from __future__ import annotations

from .errors import FormulaError
from .lexer import Kind, Token, tokenize
from .limits import MAX_ARGUMENTS, MAX_NESTING, MAX_NODES, MAX_TREE_DEPTH
from .nodes import (
    BINARY_LEVELS,
    PERCENT_LEVEL,
    PREFIX_LEVEL,
    PREFIX_OPS,
    Binary,
    Boolean,
    Call,
    Node,
    Number,
    String,
    Unary,
    Variable,
)

_BOOLEANS = {"TRUE": True, "FALSE": False}


def parse(source: str) -> Node:
    """Parse formula text into a tree; a leading `=` (as typed in Excel) is ignored."""
    tokens = tokenize(source)
    try:
        return _Parser(tokens).parse()
    except RecursionError:
        # The nesting limits keep the parser well inside Python's stack; this only happens
        # when the caller itself already runs very deep.
        raise stack_exhausted() from None


def stack_exhausted() -> FormulaError:
    return FormulaError(
        "too_deep",
        "公式嵌套过深，超出了可用的调用栈",
        "the formula is nested too deeply for the available stack",
    )


def describe(token: Token) -> tuple[str, str]:
    """How a token is named in messages (Chinese, English)."""
    if token.kind is Kind.END:
        return "公式结尾", "the end of the formula"
    if token.kind is Kind.STRING:
        return f"文本“{token.text}”", f'the text "{token.text}"'
    if token.kind is Kind.VARIABLE:
        return f"变量 [{token.text}]", f"the variable [{token.text}]"
    return f"“{token.text}”", f"'{token.text}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0
        self.nodes = 0

    # -- token helpers -------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def unexpected(self, token: Token, zh_hint: str = "", en_hint: str = "") -> FormulaError:
        if token.kind is Kind.END:
            return FormulaError(
                "unexpected_end",
                "公式意外结束" + (f"，{zh_hint}" if zh_hint else ""),
                "the formula ends too early" + (f"; {en_hint}" if en_hint else ""),
                token.position,
            )
        zh, en = describe(token)
        return FormulaError(
            "unexpected_token",
            f"此处不应出现{zh}" + (f"，{zh_hint}" if zh_hint else ""),
            f"unexpected {en}" + (f"; {en_hint}" if en_hint else ""),
            token.position,
        )

    # -- limits --------------------------------------------------------------------------

    def made(self, node: Node, height: int) -> tuple[Node, int]:
        """Count a new node and check the tree limits."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(
                "too_complex",
                f"公式过于复杂：超过 {MAX_NODES} 个运算单元",
                f"the formula is too complex: more than {MAX_NODES} parts",
                node.position,
            )
        if height > MAX_TREE_DEPTH:
            raise FormulaError(
                "too_deep",
                f"公式层次过深：运算链超过 {MAX_TREE_DEPTH} 层",
                f"the formula is too deep: operator chains over {MAX_TREE_DEPTH} levels",
                node.position,
            )
        return node, height

    def enter(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise FormulaError(
                "too_deep",
                f"公式嵌套过深：括号、函数和正负号最多嵌套 {MAX_NESTING} 层",
                f"the formula is nested too deeply: at most {MAX_NESTING} levels of "
                "parentheses, functions and signs",
                token.position,
            )

    def leave(self) -> None:
        self.nesting -= 1

    # -- grammar -------------------------------------------------------------------------

    def parse(self) -> Node:
        first = self.peek()
        if first.kind is Kind.OP and first.text == "=":
            self.advance()
        if self.peek().kind is Kind.END:
            raise FormulaError("empty", "公式为空", "the formula is empty", None)
        node, _ = self.expression(0)
        token = self.peek()
        if token.kind is Kind.RPAREN:
            raise FormulaError(
                "unbalanced_parenthesis",
                "括号不匹配：多余的“)”",
                "unbalanced parenthesis: this ')' has no matching '('",
                token.position,
            )
        if token.kind is not Kind.END:
            raise self.unexpected(token, "缺少运算符", "an operator is missing")
        return node

    def expression(self, min_level: int) -> tuple[Node, int]:
        """Parse operators binding at least as tightly as `min_level` (all left-associative)."""
        left, height = self.prefix()
        while True:
            token = self.peek()
            if token.kind is not Kind.OP:
                return left, height
            if token.text == "%":
                if min_level > PERCENT_LEVEL:
                    return left, height
                self.advance()
                left, height = self.made(Unary("%", left, left.position), height + 1)
                continue
            op_level = BINARY_LEVELS.get(token.text)
            if op_level is None or op_level < min_level:
                return left, height
            self.advance()
            right, right_height = self.expression(op_level + 1)
            left, height = self.made(
                Binary(token.text, left, right, left.position), max(height, right_height) + 1
            )

    def prefix(self) -> tuple[Node, int]:
        token = self.advance()
        kind = token.kind
        if kind is Kind.NUMBER:
            return self.made(Number(token.number, token.position), 1)
        if kind is Kind.STRING:
            return self.made(String(token.text, token.position), 1)
        if kind is Kind.VARIABLE:
            return self.made(Variable(token.text, token.position), 1)
        if kind is Kind.OP and token.text in PREFIX_OPS:
            self.enter(token)
            operand, height = self.expression(PREFIX_LEVEL)
            self.leave()
            return self.made(Unary(token.text, operand, token.position), height + 1)
        if kind is Kind.LPAREN:
            self.enter(token)
            inner, height = self.expression(0)
            self.close(token)
            self.leave()
            return inner, height
        if kind is Kind.NAME:
            if self.peek().kind is Kind.LPAREN:
                return self.call(token)
            upper = token.text.upper()
            if upper in _BOOLEANS:
                return self.made(Boolean(_BOOLEANS[upper], token.position), 1)
            raise FormulaError(
                "bare_name",
                f"“{token.text}”不是函数，也不是 TRUE/FALSE；变量名要写在方括号里，例如 [{token.text}]",
                f"'{token.text}' is not a function or TRUE/FALSE; put variable names in square "
                f"brackets, e.g. [{token.text}]",
                token.position,
            )
        if kind is Kind.RPAREN:
            raise self.unexpected(token, "括号中缺少内容", "something is missing before it")
        raise self.unexpected(token, "这里需要一个值", "a value is expected here")

    def close(self, opening: Token, in_call: bool = False) -> None:
        """Consume the `)` matching `opening`."""
        token = self.peek()
        if token.kind is Kind.RPAREN:
            self.advance()
            return
        if token.kind is Kind.END:
            raise FormulaError(
                "unbalanced_parenthesis",
                "括号不匹配：这个“(”缺少对应的“)”",
                "unbalanced parenthesis: this '(' is never closed",
                opening.position,
            )
        if in_call:
            raise self.unexpected(token, "缺少运算符、“,”或“)”", "expected an operator, ',' or ')'")
        raise self.unexpected(token, "缺少运算符或“)”", "expected an operator or ')'")

    def call(self, name: Token) -> tuple[Node, int]:
        opening = self.advance()
        self.enter(opening)
        args: list[Node] = []
        height = 0
        if self.peek().kind is Kind.RPAREN:
            self.advance()
        else:
            while True:
                arg, arg_height = self.expression(0)
                args.append(arg)
                height = max(height, arg_height)
                if len(args) > MAX_ARGUMENTS:
                    raise FormulaError(
                        "wrong_argument_count",
                        f"函数 {name.text.upper()} 的参数超过 {MAX_ARGUMENTS} 个",
                        f"{name.text.upper()} has more than {MAX_ARGUMENTS} arguments",
                        name.position,
                    )
                token = self.peek()
                if token.kind is Kind.COMMA:
                    self.advance()
                    continue
                self.close(opening, in_call=True)
                break
        self.leave()
        return self.made(Call(name.text.upper(), tuple(args), name.position), height + 1)
