"""`jixiao bench engine`: how fast the engine scores and evaluates formulas. Prints figures only.

Two figures the issue asks for: a formula with five operations and an IF over 1,000,000 rows
(measured by `jixiao.engine.formula.bench` when it exists), and scoring 100,000 appraisees on
12 indicators with mixed rules, then their weighted total (measured here). Data generation is
outside the timed part; each figure is the median of a few runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from jixiao.engine.rules import Rule, rule_from_spec, weighted_total
from jixiao.engine.rules.base import FloatArray

DEFAULT_APPRAISEES = 100_000
DEFAULT_FORMULA_ROWS = 1_000_000
RUNS = 5
FORMULA = "IF([actual]>=[target], 100, MAX(0, 60+([actual]-[threshold])/([target]-[threshold])*40))"

Say = Callable[[str], None]


def mixed_rules(with_formula: bool = True) -> list[tuple[Rule, float]]:
    """Twelve indicators as a scheme might hold them: every rule kind, with weights."""
    specs: list[tuple[dict[str, object], float]] = [
        ({"kind": "ratio", "direction": "higher", "cap": 1.2}, 0.15),
        ({"kind": "ratio", "direction": "lower", "lower_formula": "inverse"}, 0.10),
        ({"kind": "ratio", "direction": "lower", "lower_formula": "linear", "target": 5}, 0.05),
        ({"kind": "piecewise", "threshold": 80, "target": 95, "stretch": 100}, 0.10),
        (
            {
                "kind": "bands",
                "bands": [
                    {"min": 95, "max": None, "points": 100},
                    {"min": 90, "max": 95, "points": 90},
                    {"min": 80, "max": 90, "points": 75},
                    {"min": None, "max": 80, "points": 50},
                ],
            },
            0.10,
        ),
        (
            {
                "kind": "deduction",
                "base": 100,
                "deductions": [
                    {"code": "overdue", "points": 2, "cap": 20},
                    {"code": "redo", "points": 5},
                ],
                "bonuses": [{"code": "praise", "points": 1, "cap": 5}],
                "cap": 105,
            },
            0.10,
        ),
        ({"kind": "binary"}, 0.05),
        (
            {
                "kind": "milestones",
                "milestones": [
                    {"code": "m1", "share": 0.2},
                    {"code": "m2", "share": 0.5},
                    {"code": "m3", "share": 0.3},
                ],
            },
            0.05,
        ),
        (
            {
                "kind": "bars",
                "levels": [{"level": k, "points": 20 * k} for k in range(1, 6)],
            },
            0.10,
        ),
        (
            {
                "kind": "okr",
                "key_results": [
                    {"code": "kr1", "weight": 2},
                    {"code": "kr2", "weight": 1},
                    {"code": "kr3", "weight": 1},
                ],
            },
            0.05,
        ),
        ({"kind": "rank", "table": [100, 95, 90, 85, 80, 75], "default_points": 70}, 0.05),
        (
            {"kind": "formula", "expression": FORMULA}
            if with_formula
            else {"kind": "piecewise", "direction": "lower", "threshold": 10, "target": 5},
            0.10,
        ),
    ]
    return [(rule_from_spec(spec), weight) for spec, weight in specs]


def sample_columns(rows: int, seed: int = 2026) -> dict[str, FloatArray]:
    """Plausible inputs, with 2% blank actuals so the NaN paths are timed too."""
    rng = np.random.default_rng(seed)
    target = rng.uniform(50, 150, rows)
    actual = target * rng.normal(1.0, 0.15, rows)
    actual[rng.random(rows) < 0.02] = np.nan

    def counts(mean: float) -> FloatArray:
        return rng.poisson(mean, rows).astype(np.float64)

    def flags(p: float) -> FloatArray:
        return (rng.random(rows) < p).astype(np.float64)

    return {
        "actual": actual,
        "target": target,
        "overdue": counts(1.5),
        "redo": counts(0.3),
        "praise": counts(0.5),
        "done": flags(0.8),
        "m1": flags(0.9),
        "m2": flags(0.6),
        "m3": flags(0.3),
        "level": rng.integers(1, 6, rows).astype(np.float64),
        "kr1": rng.uniform(0, 1, rows),
        "kr2": rng.uniform(0, 1, rows),
        "kr3": rng.uniform(0, 1, rows),
        "rank": rng.integers(1, 30, rows).astype(np.float64),
        "threshold": target * 0.8,
    }


def _formula_available() -> bool:
    try:
        importlib.import_module("jixiao.engine.formula")
    except ImportError:
        return False
    return hasattr(importlib.import_module("jixiao.engine.formula"), "compile_formula")


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_scoring(
    appraisees: int = DEFAULT_APPRAISEES, runs: int = RUNS, seed: int = 2026
) -> dict[str, Any]:
    """Seconds to score `appraisees` on 12 mixed rules and total them (median of `runs`)."""
    with_formula = _formula_available()
    rules = mixed_rules(with_formula)
    columns = sample_columns(appraisees, seed)
    weights = [w for _, w in rules]

    def score_all() -> FloatArray:
        scores = np.column_stack([rule.score(columns) for rule, _ in rules])
        return weighted_total(scores, weights)

    score_all()  # warm-up: first calls pay for imports and allocation
    seconds = _median(score_all, runs)

    def timer(rule: Rule) -> Callable[[], object]:
        return lambda: rule.score(columns)

    per_rule = {
        f"{index + 1:02d} {rule.kind}": _median(timer(rule), runs)
        for index, (rule, _) in enumerate(rules)
    }
    totals = score_all()
    return {
        "appraisees": appraisees,
        "indicators": len(rules),
        "kinds": sorted({rule.kind for rule, _ in rules}),
        "formula_rule_included": with_formula,
        "seconds": seconds,
        "per_rule_seconds": per_rule,
        "mean_total": float(np.nanmean(totals)),
        "runs": runs,
    }


def _plain(value: object) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, int | float):
        return {"seconds": float(value)}
    if isinstance(value, Mapping):
        return dict(value)
    return {"result": str(value)}


def bench_formula_figure(rows: int = DEFAULT_FORMULA_ROWS, runs: int = RUNS) -> dict[str, Any]:
    """The formula figure from the formula package's own benchmark, or a stand-in measurement."""
    try:
        module = importlib.import_module("jixiao.engine.formula.bench")
        bench_formula = module.bench_formula
    except (ImportError, AttributeError):
        bench_formula = None
    if bench_formula is not None:
        figure = _plain(bench_formula(rows))
        return {"source": "jixiao.engine.formula.bench", "rows": rows, **figure}
    if not _formula_available():
        return {
            "source": None,
            "rows": rows,
            "seconds": None,
            "note": "公式引擎尚不可用 / the formula engine is not available yet",
        }
    from jixiao.engine.formula import compile_formula

    formula = compile_formula(FORMULA)
    columns = sample_columns(rows)
    given = {name: columns[name] for name in formula.variables}
    formula.evaluate(given, rows=rows)
    return {
        "source": "jixiao.engine.bench (stand-in: jixiao.engine.formula.bench is absent)",
        "rows": rows,
        "expression": FORMULA,
        "seconds": _median(lambda: formula.evaluate(given, rows=rows), runs),
    }


def run(
    *,
    appraisees: int = DEFAULT_APPRAISEES,
    formula_rows: int = DEFAULT_FORMULA_ROWS,
    runs: int = RUNS,
    say: Say | None = None,
) -> dict[str, Any]:
    """Both figures as one JSON-ready dict."""
    tell = say or (lambda _message: None)
    tell(f"formula over {formula_rows:,} rows …")
    formula = bench_formula_figure(formula_rows, runs)
    tell(f"scoring {appraisees:,} appraisees × 12 indicators …")
    scoring = bench_scoring(appraisees, runs)
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "formula": formula,
        "scoring": scoring,
    }


def format_report(report: Mapping[str, Any]) -> str:
    formula = report["formula"]
    scoring = report["scoring"]
    lines = [
        "引擎基准 engine benchmark "
        f"(Python {report['python']}, numpy {report['numpy']}, {report['machine']})",
        "",
    ]
    if formula.get("seconds") is None:
        lines.append(f"公式 formula: {formula.get('note', 'not measured')}")
    else:
        lines.append(
            f"公式 formula, {formula['rows']:,} 行 rows: {formula['seconds']:.3f} s"
            f"   ({formula['source']})"
        )
        for key, value in formula.items():
            if key not in ("seconds", "rows", "source"):
                lines.append(f"    {key}: {value}")
    lines.append(
        f"计分 scoring, {scoring['appraisees']:,} 人 × {scoring['indicators']} 指标 indicators "
        f"+ 加权合计 weighted total: {scoring['seconds']:.3f} s"
    )
    if not scoring["formula_rule_included"]:
        lines.append(
            "    (公式引擎不可用，第 12 项改用分段规则 / formula rule replaced: engine absent)"
        )
    for name, seconds in scoring["per_rule_seconds"].items():
        lines.append(f"    {name:<14} {seconds * 1000:8.1f} ms")
    lines.append("")
    lines.append(
        f"中位数，{scoring['runs']} 次 / median of {scoring['runs']} runs; 不做断言 / no assertions"
    )
    return "\n".join(lines)
