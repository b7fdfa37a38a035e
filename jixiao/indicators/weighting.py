"""The weighting page's door to the engine: AHP, entropy weights and their combination.

The page posts the upper triangle of a pairwise matrix as Saaty judgements ("3", "1/5");
the lower triangle is their reciprocals. Entropy weights come from an uploaded table whose
columns are the chosen indicators; the result travels back to the browser signed, so that
saving does not need the file again and cannot be tampered with.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.engine.weights import (
    RI_TABLES,
    SAATY_RI,
    AHPError,
    EntropyError,
    RITable,
    ahp,
    combine_weights,
    entropy_weights,
    parse_judgement,
    scale_text,
)
from jixiao.indicators.models import Direction, Indicator
from jixiao.indicators.rules import language

SAATY_VALUES = [
    "9",
    "8",
    "7",
    "6",
    "5",
    "4",
    "3",
    "2",
    "1",
    "1/2",
    "1/3",
    "1/4",
    "1/5",
    "1/6",
    "1/7",
    "1/8",
    "1/9",
]
SAATY_MEANING = {
    "1": gettext_lazy("equally important"),
    "3": gettext_lazy("slightly more important"),
    "5": gettext_lazy("clearly more important"),
    "7": gettext_lazy("strongly more important"),
    "9": gettext_lazy("extremely more important"),
}
MAX_CRITERIA = 15
MAX_DATA_ROWS = 100000
MAX_DATA_BYTES = 20 * 1024 * 1024
TOKEN_SALT = "jixiao.indicators.entropy"
TOKEN_MAX_AGE = 6 * 3600


RI_SETTING = "JIXIAO_AHP_RI_TABLES"


def configured_ri_tables() -> dict[str, RITable]:
    """The random-index tables of the JIXIAO_AHP_RI_TABLES setting, checked.

    The setting maps a name to the RI values for n = 1, 2, 3, … or to
    {"values": [...], "source": "where the table comes from"}. Raises ImproperlyConfigured
    naming the table and the problem (the system check `indicators.E001` reports the same).
    """
    raw = getattr(settings, RI_SETTING, None) or {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"{RI_SETTING} must map table names to lists of RI values, not {type(raw).__name__}"
        )
    tables: dict[str, RITable] = {}
    for name, entry in raw.items():
        values: Any = entry
        source = ""
        if isinstance(entry, Mapping):
            values = entry.get("values")
            source = str(entry.get("source", "") or "")
        if name in RI_TABLES:
            raise ImproperlyConfigured(
                f"{RI_SETTING}[{name!r}]: the name is taken by a built-in table "
                f"({', '.join(RI_TABLES)}); choose another"
            )
        try:
            tables[str(name)] = RITable(
                name, tuple(values) if isinstance(values, list) else values, source
            )
        except AHPError as error:
            problems = "; ".join(f"{i.path}: {i.message_en}" for i in error.issues)
            raise ImproperlyConfigured(f"{RI_SETTING}[{name!r}]: {problems}") from None
    return tables


def ri_tables() -> dict[str, RITable]:
    """Every random-index table a user may choose: the built-in ones, then the configured."""
    return {**RI_TABLES, **configured_ri_tables()}


def ri_table_choices() -> list[tuple[str, str]]:
    """(name, label) for a select: the name, where the table comes from and the n it covers."""
    out = []
    for name, table in ri_tables().items():
        covers = f"n ≤ {len(table.values)}"
        label = " — ".join(part for part in (name, table.source) if part)
        out.append((name, f"{label} ({covers})"))
    return out


def saaty_choices() -> list[tuple[str, str]]:
    """The select options: 9 … 2, 1, 1/2 … 1/9, with the meaning of the odd steps."""
    out = []
    for value in SAATY_VALUES:
        known = SAATY_MEANING.get(value)
        meaning = str(known) if known is not None else None
        if meaning is None and value.startswith("1/"):
            base = SAATY_MEANING.get(value[2:])
            meaning = _("%(meaning)s (the other way round)") % {"meaning": base} if base else None
        out.append((value, f"{value} · {meaning}" if meaning else value))
    return out


def fraction_text(value: float) -> str:
    """3.0 → "3", 0.3333 → "1/3", other numbers with 3 decimals."""
    f = Fraction(value).limit_denominator(9)
    if abs(float(f) - value) < 1e-6:
        return str(f)
    return f"{value:.3f}"


@dataclass
class AhpOutcome:
    weights: list[float] = field(default_factory=list)
    lambda_max: float | None = None
    ci: float | None = None
    ri: float | None = None
    cr: float | None = None
    consistent: bool = False
    ri_table: str = SAATY_RI.name
    ri_values: list[float] = field(default_factory=list)
    method: str = "eigenvector"
    revise: dict[str, Any] | None = None
    matrix: list[list[float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def matrix_from_upper(
    upper: Mapping[tuple[int, int], str], n: int
) -> tuple[list[list[float]], list[str]]:
    """The full matrix from the upper-triangle judgements; blank cells count as 1."""
    matrix = [[1.0] * n for _ in range(n)]
    errors: list[str] = []
    for i in range(n):
        for j in range(i + 1, n):
            text = (upper.get((i, j)) or "1").strip() or "1"
            try:
                value = parse_judgement(text)
            except ValueError:
                errors.append(
                    _("Row %(i)s, column %(j)s: “%(text)s” is not a judgement such as 3 or 1/3.")
                    % {"i": i + 1, "j": j + 1, "text": text}
                )
                continue
            if value <= 0:
                errors.append(
                    _("Row %(i)s, column %(j)s must be positive.") % {"i": i + 1, "j": j + 1}
                )
                continue
            matrix[i][j] = value
            matrix[j][i] = 1.0 / value
    return matrix, errors


def run_ahp(
    upper: Mapping[tuple[int, int], str],
    names: Sequence[str],
    *,
    method: str = "eigenvector",
    ri_table: str = SAATY_RI.name,
) -> AhpOutcome:
    n = len(names)
    table = ri_tables().get(ri_table, SAATY_RI)
    out = AhpOutcome(ri_table=table.name, ri_values=list(table.values), method=method)
    out.matrix, out.errors = matrix_from_upper(upper, n)
    if out.errors:
        return out
    try:
        result = ahp(
            out.matrix,
            list(names),
            method="geometric" if method == "geometric" else "eigenvector",
            ri_table=table,
        )
    except AHPError as error:
        lang = language()
        out.errors = [i.message(lang) for i in error.issues]
        return out
    out.weights = list(result.weights)
    out.lambda_max = result.lambda_max
    out.ci = result.ci
    out.ri = result.ri
    out.cr = result.cr
    out.consistent = result.consistent
    if result.revise is not None:
        r = result.revise
        row, column, value, suggested = r.row, r.column, r.value, r.suggested
        if row > column:  # name the cell the person fills in: the upper triangle
            row, column, value, suggested = column, row, 1 / value, 1 / suggested
        out.revise = {
            "row": names[row],
            "column": names[column],
            "cell": f"a_{row}_{column}",
            "value_text": fraction_text(value),
            "suggested": suggested,
            "suggested_scale": scale_text(suggested),
        }
    return out


def combine(ahp_weights: Sequence[float], entropy: Sequence[float], alpha: float) -> list[float]:
    return [float(x) for x in combine_weights(list(ahp_weights), list(entropy), alpha)]


# ---------------------------------------------------------------- entropy data


@dataclass
class EntropyOutcome:
    weights: list[float] = field(default_factory=list)
    entropy: list[float] = field(default_factory=list)
    rows: int = 0
    file_name: str = ""
    cost_codes: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def token(self, indicator_ids: Sequence[int]) -> str:
        return signing.dumps(
            {
                "ids": list(indicator_ids),
                "weights": self.weights,
                "rows": self.rows,
                "file": self.file_name,
                "cost": self.cost_codes,
            },
            salt=TOKEN_SALT,
        )


def read_entropy_token(token: str, indicator_ids: Sequence[int]) -> dict[str, Any] | None:
    """The entropy result signed earlier for exactly these indicators, else None."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("ids") != list(indicator_ids):
        return None
    return data


def _rows_from_csv(raw: bytes) -> list[list[Any]] | None:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            return None
        try:
            return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error:
            return None
    return None


def _rows_from_xlsx(raw: bytes) -> list[list[Any]] | None:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, EOFError):
        return None
    except Exception:  # openpyxl's own InvalidFileException and parser errors
        return None
    try:
        ws = wb.worksheets[0]
        rows: list[list[Any]] = []
        for values in ws.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_DATA_ROWS + 1:
                break
        return rows
    except Exception:
        return None
    finally:
        wb.close()


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(float(value)) else None
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return number / 100 if percent else number


def run_entropy(raw: bytes, file_name: str, indicators: Sequence[Indicator]) -> EntropyOutcome:
    """Entropy weights of the chosen indicators from a table of appraisees × indicators.

    Columns are matched to indicators by code or name, in any order; lower-is-better
    indicators are cost columns. Every bad cell is reported by row and column.
    """
    out = EntropyOutcome(file_name=file_name)
    if len(raw) > MAX_DATA_BYTES:
        out.errors = [_("The file is larger than %(n)s MB.") % {"n": MAX_DATA_BYTES // 1048576}]
        return out
    lower = file_name.lower()
    if lower.endswith(".csv"):
        rows = _rows_from_csv(raw)
    elif lower.endswith((".xlsx", ".xlsm")):
        rows = _rows_from_xlsx(raw)
    else:
        out.errors = [_("Choose a .csv or .xlsx file.")]
        return out
    if rows is None:
        out.errors = [_("The file cannot be read as a table.")]
        return out
    rows = [r for r in rows if any(v not in (None, "") for v in r)]
    if len(rows) < 3:
        out.errors = [_("The file needs a header row and at least two rows of data.")]
        return out
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    by_label: dict[str, int] = {}
    for k, ind in enumerate(indicators):
        by_label[ind.code] = k
        by_label.setdefault(ind.name, k)
    positions: dict[int, int] = {}
    for col, label in enumerate(header[1:], start=1):
        if not label:
            continue
        found = by_label.get(label)
        if found is None:
            out.errors.append(
                _("Column %(col)s “%(label)s” is not one of the chosen indicators.")
                % {"col": col + 1, "label": label}
            )
        elif found in positions:
            out.errors.append(
                _("Column %(col)s repeats the indicator “%(label)s”.")
                % {"col": col + 1, "label": label}
            )
        else:
            positions[found] = col
    missing = [ind.code for k, ind in enumerate(indicators) if k not in positions]
    if missing:
        out.errors.append(_("Columns are missing for: %(codes)s.") % {"codes": "、".join(missing)})
    if out.errors:
        return out
    data: list[list[float]] = []
    for line, row in enumerate(rows[1:], start=2):
        values: list[float] = []
        for k in range(len(indicators)):
            col = positions[k]
            cell = row[col] if col < len(row) else None
            number = _number(cell)
            if number is None:
                out.errors.append(
                    _("Line %(line)s, column “%(label)s”: “%(value)s” is not a number.")
                    % {"line": line, "label": header[col], "value": "" if cell is None else cell}
                )
                values.append(math.nan)
            else:
                values.append(number)
        data.append(values)
        if len(out.errors) >= 50:
            break
    if out.errors:
        return out
    out.cost_codes = [ind.code for ind in indicators if ind.direction == Direction.LOWER]
    try:
        result = entropy_weights(data, [ind.code for ind in indicators], cost=out.cost_codes)
    except EntropyError as error:
        out.errors = [error.message_en if language() == "en" else error.message_zh]
        return out
    out.weights = list(result.weights)
    out.entropy = list(result.entropy)
    out.rows = result.rows
    out.notes = dict(result.notes)
    return out


def entropy_template_csv(indicators: Sequence[Indicator]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Appraisee"), *[ind.code for ind in indicators]])
    writer.writerow([_("Example row"), *["" for _ind in indicators]])
    return "\ufeff" + buffer.getvalue()
