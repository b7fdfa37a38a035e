"""`jixiao engine ...`: AHP, entropy, TOPSIS, formulas and scoring rules on CSV or Excel files.

For analysts: it runs in this process without Django (no settings, no database), reads CSV
(UTF-8 with or without BOM; GB18030 as Excel on Chinese Windows writes it) or .xlsx, and prints
an aligned table or, with --json, the stable JSON documented in docs/engine-cli.md. Input it
cannot use exits with code 2 and a message naming the row and cell.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from jixiao.engine.appraisal.calibrate import calibrate
from jixiao.engine.rules import ALIASES, Rule, RuleSpecError, rule_from_spec
from jixiao.engine.rules.base import fmt
from jixiao.engine.rules.formula_rule import FormulaRule
from jixiao.engine.weights import (
    RI_TABLES,
    SAATY_RI,
    AHPError,
    MatrixIssue,
    RITable,
    WeightsInputError,
    ahp,
    entropy_weights,
    parse_judgement,
    parse_ri_values,
    topsis,
)

EXIT_OK = 0
EXIT_BAD_INPUT = 2

Cell = str | float | int | bool | dt.datetime | dt.date | dt.time | None


class InputError(Exception):
    """Input the command cannot use. `row` is the 1-based row in the file, `column` 0-based."""

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        row: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.row = row
        self.column = column
        super().__init__(self.text())

    def text(self) -> str:
        where = ""
        if self.row is not None and self.column is not None:
            letter = column_letter(self.column)
            where = f"第 {self.row} 行 {letter} 列 / row {self.row}, column {letter}: "
        elif self.row is not None:
            where = f"第 {self.row} 行 / row {self.row}: "
        return f"{where}{self.message_zh} / {self.message_en}"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how spreadsheet users name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- reading tables ------------------------------------------------------------------------


@dataclass
class Table:
    """A header and data rows as read from the file; `row_numbers` are the rows in the file."""

    header: list[str]
    rows: list[list[Cell]]
    row_numbers: list[int]

    def column(self, index: int) -> list[Cell]:
        return [row[index] for row in self.rows]


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"无法识别文件 {path.name} 的编码，请另存为 UTF-8 CSV。",
        f"Cannot tell the encoding of {path.name}; save it as UTF-8 CSV.",
    )


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_table(path: str | Path) -> Table:
    """Read a CSV or .xlsx file into a header and rows; blank rows are skipped."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"找不到文件 {path}。", f"No such file: {path}.")
    raw_rows: list[list[Cell]]
    if file.suffix.lower() in (".xlsx", ".xlsm"):
        raw_rows = _read_xlsx(file)
    else:
        text = _decode(file.read_bytes(), file)
        try:
            raw_rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as error:
            raise InputError(f"CSV 格式错误：{error}", f"Malformed CSV: {error}") from None
    numbered = [(n, row) for n, row in enumerate(raw_rows, start=1) if not all(map(_blank, row))]
    if not numbered:
        raise InputError("文件是空的。", "The file is empty.")
    header_row, header_cells = numbered[0]
    while header_cells and _blank(header_cells[-1]):
        header_cells = header_cells[:-1]
    header: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        name = "" if cell is None else str(cell).strip()
        if not name and index > 0:
            raise InputError(
                "表头不能为空。", "A header cell is blank.", row=header_row, column=index
            )
        if name in seen and name:
            raise InputError(
                f"列名“{name}”与 {column_letter(seen[name])} 列重复。",
                f"The column name {name!r} repeats column {column_letter(seen[name])}.",
                row=header_row,
                column=index,
            )
        seen[name] = index
        header.append(name)
    width = len(header)
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    is_csv = file.suffix.lower() not in (".xlsx", ".xlsm")
    for number, cells in numbered[1:]:
        if is_csv and len(cells) != width:
            raise InputError(
                f"本行有 {len(cells)} 列，表头有 {width} 列。",
                f"This row has {len(cells)} cells but the header has {width}.",
                row=number,
            )
        extra = [i for i in range(width, len(cells)) if not _blank(cells[i])]
        if extra:
            raise InputError(
                "该单元格在表头之外（此列没有列名）。",
                "This cell lies outside the header (its column has no name).",
                row=number,
                column=extra[0],
            )
        row = list(cells[:width]) + [None] * (width - len(cells))
        rows.append([None if _blank(c) else c for c in row])
        numbers.append(number)
    return Table(header, rows, numbers)


def _read_xlsx(file: Path) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise InputError(
            f"无法读取 Excel 文件 {file.name}：{error}",
            f"Cannot read the Excel file {file.name}: {error}",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(cell: Cell) -> float | None:
    """A cell as a number: blank → None; '85%' → 0.85; '1,234.5' → 1234.5. Raises ValueError."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return 1.0 if cell else 0.0
    if isinstance(cell, int | float):
        value = float(cell)
        if not math.isfinite(value):
            raise ValueError(cell)
        return value
    if not isinstance(cell, str):
        raise ValueError(cell)
    text = cell.strip().replace("，", ",").replace("％", "%")
    if not text:
        return None
    percent = text.endswith("%")
    body = text[:-1].strip() if percent else text
    if _GROUPED.match(body):
        body = body.replace(",", "")
    if not _NUMBER.match(body):
        raise ValueError(cell)
    value = float(body)
    return value / 100 if percent else value


def _show_cell(cell: Cell) -> str:
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return "" if cell is None else str(cell)


def number_at(table: Table, r: int, c: int, *, required: bool = False) -> float | None:
    """The number in data row r, column c, or an InputError naming the cell."""
    cell = table.rows[r][c]
    try:
        value = parse_number(cell)
    except ValueError:
        raise InputError(
            f'"{_show_cell(cell)}" 不是数字',
            f'"{_show_cell(cell)}" is not a number',
            row=table.row_numbers[r],
            column=c,
        ) from None
    if value is None and required:
        raise InputError(
            "单元格为空，此处需要数字",
            "the cell is blank; a number is needed here",
            row=table.row_numbers[r],
            column=c,
        )
    return value


def numeric_columns(table: Table, first: int = 1) -> np.ndarray:
    """The numeric block from column `first` on, every cell required."""
    if len(table.header) <= first:
        raise InputError("没有指标列。", "There are no indicator columns.")
    if not table.rows:
        raise InputError("没有数据行。", "There are no data rows.")
    return np.array(
        [
            [number_at(table, r, c, required=True) for c in range(first, len(table.header))]
            for r in range(len(table.rows))
        ],
        dtype=np.float64,
    )


def value_column(table: Table, index: int) -> np.ndarray:
    """A column for the formula engine: float64 (NaN = blank) when all numbers, else objects."""
    cells = table.column(index)
    numbers: list[float] = []
    for cell in cells:
        try:
            value = parse_number(cell)
        except ValueError:
            break
        numbers.append(math.nan if value is None else value)
    else:
        return np.array(numbers, dtype=np.float64)
    mixed: list[object] = []
    for cell in cells:
        try:
            value = parse_number(cell)
        except ValueError:
            mixed.append(_show_cell(cell) if not isinstance(cell, str) else cell)
            continue
        mixed.append(value)
    return np.array(mixed, dtype=object)


# -- printing ------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def render_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned text table; numbers right-aligned, CJK characters counted double width."""
    shown = [[_show(v) for v in row] for row in rows]
    numeric = [
        bool(rows) and all(_looks_numeric(row[c]) for row in shown) for c in range(len(header))
    ]
    widths = [max([_width(h)] + [_width(row[c]) for row in shown]) for c, h in enumerate(header)]
    lines = [
        "  ".join(_pad(h, widths[c], numeric[c]) for c, h in enumerate(header)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in shown:
        lines.append(
            "  ".join(_pad(cell, widths[c], numeric[c]) for c, cell in enumerate(row)).rstrip()
        )
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    return not text or bool(_NUMBER.match(text.strip()))


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return format(value, ".6g") if abs(value) >= 1e-4 or value == 0 else format(value, ".4g")
    if isinstance(value, np.generic):
        return _show(value.item())
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _json_value(value: object) -> object:
    """JSON has no NaN: blank or unscorable numbers become null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def print_json(data: object, out: TextIO) -> None:
    out.write(json.dumps(_json_value(data), ensure_ascii=False, indent=2) + "\n")


def _cell_json(cell: Cell) -> object:
    """A number when the cell reads as one, else its text; null when blank."""
    try:
        return parse_number(cell)
    except ValueError:
        return _show_cell(cell)


def _cells_json(table: Table, r: int) -> dict[str, object]:
    return {name: _cell_json(cell) for name, cell in zip(table.header, table.rows[r], strict=True)}


# -- commands ------------------------------------------------------------------------------


def read_matrix(table: Table) -> tuple[list[str], np.ndarray]:
    """A square comparison matrix with names in the header row and the first column.

    Blank cells on the diagonal read as 1 and a blank cell whose mirror is filled reads as its
    reciprocal, so typing the upper triangle is enough.
    """
    names = table.header[1:]
    n = len(names)
    if n == 0:
        raise InputError("判断矩阵没有准则列。", "The matrix has no criteria columns.")
    if len(table.rows) != n:
        raise InputError(
            f"判断矩阵必须是方阵：表头有 {n} 个准则，但有 {len(table.rows)} 行数据。",
            f"The matrix must be square: the header names {n} criteria but there are "
            f"{len(table.rows)} data rows.",
        )
    for i, row in enumerate(table.rows):
        label = "" if row[0] is None else str(row[0]).strip()
        if label != names[i]:
            raise InputError(
                f"第一列应依次为表头中的准则，此处应为“{names[i]}”，实为“{label}”。",
                f"The first column must repeat the header's criteria in order: "
                f"expected {names[i]!r}, found {label!r}.",
                row=table.row_numbers[i],
                column=0,
            )
    values: list[list[float | None]] = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            cell = table.rows[i][j + 1]
            if _blank(cell):
                continue
            try:
                values[i][j] = (
                    parse_judgement(cell) if isinstance(cell, str) else parse_number(cell)
                )
            except ValueError:
                raise InputError(
                    f'"{_show_cell(cell)}" 不是数字或分数（如 3、0.5、1/3）',
                    f'"{_show_cell(cell)}" is not a number or fraction (e.g. 3, 0.5, 1/3)',
                    row=table.row_numbers[i],
                    column=j + 1,
                ) from None
    matrix = np.ones((n, n))
    for i in range(n):
        for j in range(n):
            value = values[i][j]
            mirror = values[j][i]
            if value is not None:
                matrix[i, j] = value
            elif i == j:
                matrix[i, j] = 1.0
            elif mirror is not None and mirror != 0:
                matrix[i, j] = 1.0 / mirror
            else:
                raise InputError(
                    "该比较和其对称位置都为空，请至少填写一个",
                    "this comparison and its mirror are both blank; fill in one of them",
                    row=table.row_numbers[i],
                    column=j + 1,
                )
    return names, matrix


def _matrix_issue(table: Table, problem: MatrixIssue) -> InputError:
    if problem.row is None or problem.column is None:
        return InputError(problem.message_zh, problem.message_en)
    return InputError(
        problem.message_zh,
        problem.message_en,
        row=table.row_numbers[problem.row],
        column=problem.column + 1,
    )


CUSTOM_RI_NAME = "custom"


def _ri_table(args: argparse.Namespace) -> RITable:
    """The table named by --ri, or the one typed with --ri-values (named "custom")."""
    if args.ri_values is None:
        return RI_TABLES[args.ri_table or SAATY_RI.name]
    try:
        return RITable(CUSTOM_RI_NAME, parse_ri_values(args.ri_values), "--ri-values")
    except AHPError as error:
        zh = "；".join(i.message_zh.rstrip("。") for i in error.issues)
        en = "; ".join(i.message_en.rstrip(".") for i in error.issues)
        raise InputError(f"--ri-values：{zh}", f"--ri-values: {en}") from None


def cmd_ahp(args: argparse.Namespace, out: TextIO) -> int:
    ri_table = _ri_table(args)
    table = read_table(args.matrix)
    names, matrix = read_matrix(table)
    try:
        result = ahp(matrix, names, method=args.method, ri_table=ri_table)
    except AHPError as error:
        problems = [p for p in error.issues if isinstance(p, MatrixIssue)]
        if problems:
            raise _matrix_issue(table, problems[0]) from None
        first = error.issues[0]
        raise InputError(first.message_zh, first.message_en) from None
    if args.json:
        print_json(result.as_json(), out)
        return EXIT_OK
    out.write(
        render_table(
            ["准则 criterion", "权重 weight"],
            [[name, f"{weight:.4f}"] for name, weight in zip(names, result.weights, strict=True)],
        )
        + "\n\n"
    )
    out.write(
        f"方法 method: {result.method}\n"
        f"λmax = {result.lambda_max:.4f}   CI = {result.ci:.4f}   "
        f"RI = {fmt(result.ri)} ({result.ri_table})   CR = {result.cr:.4f}\n"
        f"一致性 consistent (CR < {fmt(result.threshold)}): "
        f"{'是 yes' if result.consistent else '否 no'}\n"
    )
    revise = result.revise
    if revise is not None and not result.consistent:
        a, b = names[revise.row], names[revise.column]
        out.write(
            f"建议修改 revise: “{a}”对“{b}”当前为 {fmt(round(revise.value, 4))}，"
            f"与其他判断相符的值约为 {revise.suggested:.2f}（标度 {revise.suggested_scale}） / "
            f"{a} vs {b} is {fmt(round(revise.value, 4))}; the other judgements imply about "
            f"{revise.suggested:.2f} (scale {revise.suggested_scale})\n"
        )
    return EXIT_OK


def _cost_names(values: Sequence[str] | None) -> list[str]:
    names: list[str] = []
    for value in values or []:
        names.extend(part.strip() for part in re.split(r"[,，]", value) if part.strip())
    return names


def _check_columns(table: Table, wanted: Sequence[str], what_zh: str, what_en: str) -> None:
    unknown = [name for name in wanted if name not in table.header[1:]]
    if unknown:
        raise InputError(
            f"{what_zh} {'、'.join(unknown)} 不在数据的指标列中（{'、'.join(table.header[1:])}）。",
            f"{what_en} {', '.join(unknown)} not among the indicator columns "
            f"({', '.join(table.header[1:])}).",
        )


def cmd_entropy(args: argparse.Namespace, out: TextIO) -> int:
    table = read_table(args.data)
    cost = _cost_names(args.cost)
    _check_columns(table, cost, "成本型指标", "Cost column(s)")
    data = numeric_columns(table)
    names = table.header[1:]
    result = entropy_weights(data, names, cost=cost, normalization=args.normalization)
    if args.json:
        print_json(result.as_json(), out)
        return EXIT_OK
    rows = [
        [
            name,
            "成本 cost" if c else "效益 benefit",
            f"{e:.6f}",
            f"{d:.6f}",
            f"{w:.4f}",
        ]
        for name, c, e, d, w in zip(
            names, result.cost, result.entropy, result.divergence, result.weights, strict=True
        )
    ]
    out.write(
        render_table(["指标 indicator", "方向 direction", "熵 e", "差异 d", "权重 weight"], rows)
        + "\n"
    )
    out.write(f"\n{result.rows} 行数据 rows; 归一化 normalization: {result.normalization}\n")
    for name, note in result.notes.items():
        out.write(f"注 note — {name}: {note}\n")
    return EXIT_OK


def _parse_weights(text: str) -> list[float]:
    parts = [p.strip() for p in re.split(r"[,，]", text) if p.strip()]
    weights: list[float] = []
    for index, part in enumerate(parts, start=1):
        try:
            value = parse_number(part)
        except ValueError:
            value = None
        if value is None:
            raise InputError(
                f"--weights 第 {index} 个值“{part}”不是数字。",
                f"--weights value {index}, {part!r}, is not a number.",
            )
        weights.append(value)
    return weights


def cmd_topsis(args: argparse.Namespace, out: TextIO) -> int:
    table = read_table(args.data)
    cost = _cost_names(args.cost)
    _check_columns(table, cost, "成本型指标", "Cost column(s)")
    weights = _parse_weights(args.weights)
    names = table.header[1:]
    if len(weights) != len(names):
        raise InputError(
            f"--weights 给出了 {len(weights)} 个权重，数据有 {len(names)} 个指标列"
            f"（{'、'.join(names)}）。",
            f"--weights has {len(weights)} values but the data has {len(names)} indicator "
            f"columns ({', '.join(names)}).",
        )
    data = numeric_columns(table)
    try:
        result = topsis(data, weights, names, cost=cost)
    except RuleSpecError as error:
        first = error.issues[0]
        raise InputError(
            f"--weights：{first.message_zh}", f"--weights: {first.message_en}"
        ) from None
    ids = [_show_cell(row[0]) for row in table.rows]
    if args.json:
        print_json(result.as_json(ids), out)
        return EXIT_OK
    rows = [
        [ident, f"{sp:.6f}", f"{sm:.6f}", f"{c:.6f}", int(r)]
        for ident, sp, sm, c, r in zip(
            ids, result.s_plus, result.s_minus, result.closeness, result.rank, strict=True
        )
    ]
    out.write(
        render_table([table.header[0] or "id", "S+", "S-", "贴近度 closeness", "排名 rank"], rows)
        + "\n"
    )
    return EXIT_OK


def _csv_value(value: object) -> str:
    """Full precision in files (the screen table rounds to 6 digits)."""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else format(float(value), ".15g")
    return _show(value)


def _write_output(path: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    target = Path(path)
    if target.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(list(header))
        for row in rows:
            sheet.append([_json_value(v) for v in row])
        workbook.save(target)
        return
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


def cmd_formula(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from jixiao.engine.formula import FormulaError, compile_formula
    except ImportError:
        raise InputError("公式引擎不可用。", "The formula engine is not available.") from None
    table = read_table(args.data)
    known = [name for name in table.header if name]
    try:
        formula = compile_formula(args.expression, known)
    except FormulaError as error:
        raise InputError(error.message_zh, error.message_en) from None
    columns = {
        name: value_column(table, index)
        for index, name in enumerate(table.header)
        if name in formula.variables
    }
    try:
        result = formula.evaluate(columns, rows=len(table.rows))
    except FormulaError as error:
        raise InputError(error.message_zh, error.message_en) from None
    values = getattr(result, "values", result.numbers)
    errors = result.errors
    outputs: list[object] = [
        errors[i] if errors[i] is not None else _json_value(values[i])
        for i in range(len(table.rows))
    ]
    header = [*table.header, "result"]
    if args.output:
        _write_output(
            args.output, header, [[*row, v] for row, v in zip(table.rows, outputs, strict=True)]
        )
    if args.json:
        print_json(
            {
                "expression": args.expression,
                "columns": header,
                "rows": [
                    {
                        "row": table.row_numbers[i],
                        "values": _cells_json(table, i),
                        "result": None if errors[i] is not None else _json_value(values[i]),
                        "error": errors[i],
                    }
                    for i in range(len(table.rows))
                ],
            },
            out,
        )
        return EXIT_OK
    out.write(
        render_table(header, [[*row, v] for row, v in zip(table.rows, outputs, strict=True)]) + "\n"
    )
    if args.output:
        out.write(f"\n已写入 written: {args.output}\n")
    return EXIT_OK


def _read_rule(path: str) -> Rule:
    file = Path(path)
    if not file.is_file():
        raise InputError(f"找不到规则文件 {path}。", f"No such rule file: {path}.")
    try:
        spec = json.loads(_decode(file.read_bytes(), file))
    except json.JSONDecodeError as error:
        raise InputError(
            f"规则文件不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列，{error.msg}",
            f"The rule file is not valid JSON: line {error.lineno}, column {error.colno}: "
            f"{error.msg}",
        ) from None
    try:
        return rule_from_spec(spec)
    except RuleSpecError as error:
        zh = "；".join(f"{i.path or '规则'}：{i.message_zh.rstrip('。')}" for i in error.issues)
        en = "; ".join(f"{i.path or 'rule'}: {i.message_en.rstrip('.')}" for i in error.issues)
        raise InputError(f"规则无效：{zh}", f"invalid rule: {en}") from None


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    rule = _read_rule(args.rule)
    table = read_table(args.data)
    missing = [name for name in rule.inputs if name not in table.header]
    if isinstance(rule, FormulaRule):
        missing = [
            v
            for v in rule.variables
            if v not in table.header and ALIASES.get(v, v) not in table.header
        ]
    if missing:
        raise InputError(
            f"数据缺少规则需要的列：{'、'.join(missing)}（现有列：{'、'.join(table.header)}）。",
            f"The data lacks column(s) the rule needs: {', '.join(missing)} "
            f"(columns: {', '.join(table.header)}).",
        )
    if rule.kind == "formula":
        columns = {name: value_column(table, i) for i, name in enumerate(table.header) if name}
    else:
        columns = {
            name: np.array(
                [
                    np.nan if (v := number_at(table, r, table.header.index(name))) is None else v
                    for r in range(len(table.rows))
                ],
                dtype=np.float64,
            )
            for name in rule.inputs
        }
    try:
        scores = rule.score(columns)
    except ValueError as error:
        message_zh = getattr(error, "message_zh", str(error))
        message_en = getattr(error, "message_en", str(error))
        raise InputError(message_zh, message_en) from None
    header = [*table.header, "score"]
    outputs = [float(s) for s in scores]
    if args.output:
        _write_output(
            args.output, header, [[*row, s] for row, s in zip(table.rows, outputs, strict=True)]
        )
    if args.json:
        print_json(
            {
                "rule": rule.to_spec(),
                "description_zh": rule.describe("zh"),
                "description_en": rule.describe("en"),
                "columns": header,
                "rows": [
                    {"row": table.row_numbers[i], "values": _cells_json(table, i), "score": s}
                    for i, s in enumerate(outputs)
                ],
            },
            out,
        )
        return EXIT_OK
    out.write(rule.describe("zh") + "\n" + rule.describe("en") + "\n\n")
    out.write(
        render_table(header, [[*row, s] for row, s in zip(table.rows, outputs, strict=True)]) + "\n"
    )
    return EXIT_OK


def _column(table: Table, name: str, *, required: bool = True) -> int | None:
    names = [h.strip().lower() for h in table.header]
    if name in names:
        return names.index(name)
    if required:
        raise InputError(
            f"缺少列“{name}”；需要 ratee, rater, item, score（可选 group）。现有列：{'、'.join(table.header)}。",
            f"Missing column {name!r}; needed: ratee, rater, item, score (optional group). "
            f"Columns: {', '.join(table.header)}.",
        )
    return None


def cmd_calibrate(args: argparse.Namespace, out: TextIO) -> int:
    table = read_table(args.ratings)
    cols = {name: _column(table, name) for name in ("ratee", "rater", "item", "score")}
    group_col = _column(table, "group", required=False)
    ratee: list[str] = []
    rater: list[str] = []
    group: list[str] = []
    scores: list[float] = []
    for r, row in enumerate(table.rows):
        for name in ("ratee", "rater", "item"):
            index = cols[name]
            assert index is not None
            if _blank(row[index] if index < len(row) else None):
                raise InputError(
                    f"第 {r + 2} 行缺少 {name}。",
                    f"Row {r + 2} has no {name}.",
                    row=r + 2,
                    column=index,
                )
        score_col = cols["score"]
        assert score_col is not None
        value = number_at(table, r, score_col, required=True)
        assert value is not None
        ratee.append(_show_cell(row[cols["ratee"] or 0]))
        rater.append(_show_cell(row[cols["rater"] or 0]))
        group.append(
            _show_cell(row[group_col]) if group_col is not None and group_col < len(row) else ""
        )
        scores.append(value)
    if not scores:
        raise InputError("文件中没有评分行。", "The file has no ratings.")
    result = calibrate(
        ratee, rater, scores, group if group_col is not None else None, shrinkage=args.shrinkage
    )
    if args.json:
        print_json(result.as_json(), out)
        return EXIT_OK
    rows = [
        [
            d["ratee"],
            d["ratings"],
            d["raters"],
            f"{d['raw_mean']:.2f}",
            f"{d['corrected']:.2f}",
            d["raw_rank"],
            d["rank"],
        ]
        for d in result.as_json()
    ]
    out.write(
        render_table(
            [
                "被评人 ratee",
                "评分数 ratings",
                "评价人 raters",
                "原始均值 raw",
                "校正后 corrected",
                "原排名 raw rank",
                "排名 rank",
            ],
            rows,
        )
        + "\n"
    )
    out.write(
        f"\n按评价人标准化，收缩系数 shrinkage k = {args.shrinkage:g}：校正后 = w × 标准化分 + (1 − w) × 原始分，"
        f"w = n/(n+k)，n 为该评价人给出的评分条数（有 group 列时按组分别计）\n"
        f"Per-rater standardization, shrinkage k = {args.shrinkage:g}: corrected = w × standardized "
        f"+ (1 − w) × raw, w = n/(n+k), n = the number of ratings the rater gave (per group with a group column)\n"
    )
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    from jixiao.engine import bench

    report = bench.run(
        appraisees=args.people, formula_rows=args.rows, say=_stderr if args.json else None
    )
    if args.json:
        print_json(report, out)
    else:
        out.write(bench.format_report(report) + "\n")
    return EXIT_OK


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


# -- argument parsing ----------------------------------------------------------------------


DESCRIPTION = """\
计算引擎命令行 / the scoring engine for analysts (no database needed)

文件 files: CSV（UTF-8，可带 BOM）或 .xlsx；第一行为表头 / CSV (UTF-8, BOM or not) or .xlsx,
header in the first row. 输入错误时退出码为 2 / bad input exits with code 2.
"""

EPILOG = """\
示例 examples:
  jixiao engine ahp 判断矩阵.csv
  jixiao engine ahp 判断矩阵.csv --ri extended_15
  jixiao engine ahp 判断矩阵.csv --ri-values 0,0,0.52,0.89,1.12,1.26
  jixiao engine entropy 数据.xlsx --cost 投诉率 耗材
  jixiao engine topsis 数据.csv --weights 0.3,0.3,0.4 --cost 投诉率
  jixiao engine formula 'IF([实际值]>=[目标值],100,[实际值]/[目标值]*100)' 数据.csv
  jixiao engine score 规则.json 数据.csv --json
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so errors go through one place (exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        self.parser = parser
        super().__init__(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="jixiao engine",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    a = sub.add_parser("ahp", help="层次分析法权重与一致性 / AHP weights and consistency")
    a.add_argument("matrix", help="判断矩阵文件 / the pairwise comparison matrix (CSV or .xlsx)")
    a.add_argument("--method", choices=["eigenvector", "geometric"], default="eigenvector")
    ri = a.add_mutually_exclusive_group()
    ri.add_argument(
        "--ri",
        "--ri-table",
        dest="ri_table",
        choices=sorted(RI_TABLES),
        default=None,
        metavar="NAME",
        help="随机一致性指标表 / random-index table: "
        + ", ".join(f"{name} (n ≤ {len(t.values)})" for name, t in sorted(RI_TABLES.items()))
        + "; default saaty",
    )
    ri.add_argument(
        "--ri-values",
        metavar="RI1,RI2,...",
        help="自定义 RI 值，依次对应 n = 1, 2, 3, … / your own RI values for n = 1, 2, 3, ... "
        "(e.g. 0,0,0.58,0.90,1.12)",
    )
    a.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    a.set_defaults(run=cmd_ahp)

    e = sub.add_parser("entropy", help="熵权法 / entropy weights")
    e.add_argument(
        "data", help="第一列为编号，其余为指标 / first column an id, the rest indicators"
    )
    e.add_argument(
        "--cost", action="extend", nargs="+", metavar="COL", help="越低越好的列 / lower-is-better"
    )
    e.add_argument("--normalization", choices=["minmax", "proportion"], default="minmax")
    e.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    e.set_defaults(run=cmd_entropy)

    t = sub.add_parser("topsis", help="TOPSIS 排序 / TOPSIS closeness and rank")
    t.add_argument(
        "data", help="第一列为编号，其余为指标 / first column an id, the rest indicators"
    )
    t.add_argument("--weights", required=True, help="逗号分隔的权重 / comma-separated weights")
    t.add_argument(
        "--cost", action="extend", nargs="+", metavar="COL", help="越低越好的列 / lower-is-better"
    )
    t.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    t.set_defaults(run=cmd_topsis)

    f = sub.add_parser("formula", help="按公式计算 / evaluate a formula on every row")
    f.add_argument("expression", help="Excel 风格公式，变量为列名 / Excel-style, [column] names")
    f.add_argument("data")
    f.add_argument("--output", help="另存结果 / also write the result (.csv or .xlsx)")
    f.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    f.set_defaults(run=cmd_formula)

    s = sub.add_parser("score", help="按计分规则计分 / score with a rule (JSON)")
    s.add_argument("rule", help="规则 JSON 文件 / the rule spec (JSON file)")
    s.add_argument("data")
    s.add_argument("--output", help="另存结果 / also write the result (.csv or .xlsx)")
    s.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    s.set_defaults(run=cmd_score)

    c = sub.add_parser(
        "calibrate", help="评分校正：按评价人标准化 / per-rater standardization of ratings"
    )
    c.add_argument(
        "ratings",
        help="列 ratee, rater, item, score（可选 group）/ columns ratee, rater, item, score, optional group",
    )
    c.add_argument(
        "--shrinkage", type=float, default=3.0, help="收缩系数 k / shrinkage k (default 3)"
    )
    c.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    c.set_defaults(run=cmd_calibrate)

    b = sub.add_parser(
        "bench", help="引擎性能基准 / engine benchmark (same as `jixiao bench engine`)"
    )
    b.add_argument("--people", type=int, default=100_000, help="被评人数 / appraisees scored")
    b.add_argument("--rows", type=int, default=1_000_000, help="公式行数 / formula rows")
    b.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    b.set_defaults(run=cmd_bench)
    return p


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run one engine command; returns the exit code (0, or 2 for bad input)."""
    stdout = out or sys.stdout
    stderr = err or sys.stderr
    p = parser()
    try:
        args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as error:
        error.parser.print_usage(stderr)
        stderr.write(f"{error.parser.prog}: 参数错误 / error: {error}\n")
        return EXIT_BAD_INPUT
    if args.command is None:
        p.print_help(stdout)
        return EXIT_OK
    run: Callable[[argparse.Namespace, TextIO], int] = args.run
    try:
        return run(args, stdout)
    except InputError as error:
        stderr.write(error.text() + "\n")
    except WeightsInputError as error:
        stderr.write(f"{error.message_zh} / {error.message_en}\n")
    except RuleSpecError as error:
        for problem in error.issues:
            stderr.write(f"{problem.path}: {problem.message_zh} / {problem.message_en}\n")
    return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
