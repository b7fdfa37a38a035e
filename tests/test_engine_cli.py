"""`jixiao engine ...` on good and broken files, in process (no Django needed by the commands)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from jixiao import cli, engine_cli

MATRIX = """准则,工作质量,工作效率,服务态度
工作质量,1,3,5
工作效率,1/3,1,2
服务态度,1/5,1/2,1
"""

DATA = """编号,完成率,投诉率,满意度
A,0.95,0.02,88
B,0.80,0.05,92
C,0.99,0.01,75
D,0.90,0.03,85
"""


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return str(path)


def write_xlsx(tmp_path: Path, name: str, rows: list[list[object]]) -> str:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return str(path)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = engine_cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- ahp -------------------------------------------------------------------------------------


def test_ahp_table(tmp_path, capsys):
    code, out, err = run(["ahp", write(tmp_path, "m.csv", MATRIX)], capsys)
    assert code == 0, err
    assert "工作质量" in out and "0.6483" in out
    assert "CR = 0.0032" in out and "是 yes" in out


def test_ahp_json_shape_with_bom_and_geometric(tmp_path, capsys):
    path = write(tmp_path, "m.csv", MATRIX, bom=True)
    code, out, _ = run(["ahp", path, "--json", "--method", "geometric"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["method"] == "geometric"
    assert [c["name"] for c in data["criteria"]] == ["工作质量", "工作效率", "服务态度"]
    assert sum(c["weight"] for c in data["criteria"]) == pytest.approx(1)
    assert data["consistent"] is True and data["ri_table"] == "saaty"
    assert set(data) >= {"lambda_max", "ci", "cr", "ri", "threshold", "revise"}


def test_ahp_inconsistent_names_the_comparison_to_revise(tmp_path, capsys):
    text = "x,a,b,c\na,1,9,1/9\nb,1/9,1,9\nc,9,1/9,1\n"
    code, out, _ = run(["ahp", write(tmp_path, "m.csv", text)], capsys)
    assert code == 0
    assert "否 no" in out and "建议修改 revise" in out
    code, out, _ = run(["ahp", write(tmp_path, "m.csv", text), "--json"], capsys)
    revise = json.loads(out)["revise"]
    assert revise["value"] == 9 and revise["row"] in {"a", "b", "c"}


def test_ahp_random_index_by_name_or_by_values(tmp_path, capsys):
    path = write(tmp_path, "m.csv", MATRIX)
    code, out, err = run(["ahp", path, "--ri", "extended_15", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert (data["ri_table"], data["ri"]) == ("extended_15", 0.52)
    assert len(data["ri_values"]) == 15
    code, out, _ = run(["ahp", path, "--ri-table", "extended_15"], capsys)  # the older spelling
    assert code == 0 and "RI = 0.52 (extended_15)" in out
    code, out, err = run(["ahp", path, "--ri-values", "0,0,0.5,0.9", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert (data["ri_table"], data["ri"], data["ri_values"]) == ("custom", 0.5, [0, 0, 0.5, 0.9])
    assert data["cr"] == pytest.approx(data["ci"] / 0.5)
    code, out, _ = run(["ahp", path, "--ri-values", "0 0 0.5"], capsys)
    assert code == 0 and "RI = 0.5 (custom)" in out


def test_ahp_bad_random_index(tmp_path, capsys):
    path = write(tmp_path, "m.csv", MATRIX)
    code, out, err = run(["ahp", path, "--ri-values", "0,0"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("--ri-values：RI 值至少要有 3 个") and "at least 3 RI values" in err
    code, _, err = run(["ahp", path, "--ri-values", "0,0,x"], capsys)
    assert code == 2 and "“x”不是数字" in err and "'x', is not a number" in err
    code, _, err = run(["ahp", path, "--ri-values", "0,0,0"], capsys)
    assert code == 2 and "n = 3" in err and "greater than 0" in err
    code, _, err = run(["ahp", path, "--ri", "nope"], capsys)
    assert code == 2 and "invalid choice" in err
    code, _, err = run(["ahp", path, "--ri", "saaty", "--ri-values", "0,0,1"], capsys)
    assert code == 2 and "not allowed" in err
    # A 4×4 matrix against a table that stops at n = 3.
    four = "x,a,b,c,d\na,1,2,3,4\nb,1/2,1,2,3\nc,1/3,1/2,1,2\nd,1/4,1/3,1/2,1\n"
    code, _, err = run(["ahp", write(tmp_path, "4.csv", four), "--ri-values", "0,0,1"], capsys)
    assert code == 2 and "n ≤ 3" in err


def test_ahp_upper_triangle_is_enough(tmp_path, capsys):
    text = "准则,甲,乙,丙\n甲,,3,5\n乙,,,2\n丙,,,\n"
    code, out, err = run(["ahp", write(tmp_path, "m.csv", text), "--json"], capsys)
    assert code == 0, err
    weights = [c["weight"] for c in json.loads(out)["criteria"]]
    assert weights[0] == pytest.approx(0.6483, abs=1e-4)


def test_ahp_xlsx_input(tmp_path, capsys):
    path = write_xlsx(
        tmp_path,
        "m.xlsx",
        [["准则", "a", "b"], ["a", 1, "1/3"], ["b", 3, 1]],
    )
    code, out, err = run(["ahp", path, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["criteria"][1]["weight"] == pytest.approx(0.75)


def test_ahp_non_square(tmp_path, capsys):
    text = "准则,a,b,c\na,1,2,3\nb,1/2,1,2\n"
    code, _, err = run(["ahp", write(tmp_path, "m.csv", text)], capsys)
    assert code == 2
    assert "方阵" in err and "square" in err


def test_ahp_non_reciprocal_names_the_cell(tmp_path, capsys):
    text = "准则,a,b,c\na,1,3,5\nb,1/2,1,2\nc,1/5,1/2,1\n"
    code, _, err = run(["ahp", write(tmp_path, "m.csv", text)], capsys)
    assert code == 2
    assert err.startswith("第 3 行 B 列 / row 3, column B:")
    assert "1/3" in err and "reciprocal" in err


def test_ahp_bad_cells(tmp_path, capsys):
    code, _, err = run(["ahp", write(tmp_path, "m.csv", "x,a,b\na,1,abc\nb,1,1\n")], capsys)
    assert code == 2
    assert err.startswith('第 2 行 C 列 / row 2, column C: "abc" 不是数字或分数')
    code, _, err = run(["ahp", write(tmp_path, "m.csv", "x,a,b\na,1,-2\nb,-1/2,1\n")], capsys)
    assert code == 2 and "第 2 行 C 列" in err
    code, _, err = run(["ahp", write(tmp_path, "m.csv", "x,a,b\nb,1,2\na,1/2,1\n")], capsys)
    assert code == 2 and "第 2 行 A 列" in err
    code, _, err = run(["ahp", write(tmp_path, "m.csv", "x,a,b\na,1,\nb,,1\n")], capsys)
    assert code == 2 and "第 2 行 C 列" in err and "blank" in err


# -- reading files -----------------------------------------------------------------------------


def test_ragged_rows(tmp_path, capsys):
    text = "编号,a,b\nA,1,2\nB,3\n"
    code, _, err = run(["entropy", write(tmp_path, "d.csv", text)], capsys)
    assert code == 2
    assert err.startswith("第 3 行 / row 3:") and "2" in err
    text = "编号,a,b\nA,1,2,9\n"
    code, _, err = run(["entropy", write(tmp_path, "d.csv", text)], capsys)
    assert code == 2


def test_xlsx_cell_outside_header(tmp_path, capsys):
    path = write_xlsx(tmp_path, "d.xlsx", [["id", "a"], ["A", 1], ["B", 2, 7]])
    code, _, err = run(["entropy", path], capsys)
    assert code == 2 and err.startswith("第 3 行 C 列 / row 3, column C:")


def test_missing_file_empty_file_and_duplicate_header(tmp_path, capsys):
    code, _, err = run(["entropy", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "nope.csv" in err
    code, _, err = run(["entropy", write(tmp_path, "e.csv", "\n\n")], capsys)
    assert code == 2 and "empty" in err
    code, _, err = run(["entropy", write(tmp_path, "d.csv", "id,a,a\nx,1,2\n")], capsys)
    assert code == 2 and err.startswith("第 1 行 C 列")


def test_gb18030_csv_from_chinese_excel(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_bytes(DATA.encode("gb18030"))
    code, out, err = run(["entropy", str(path), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["indicators"][0]["name"] == "完成率"


def test_read_table_skips_blank_rows_and_keeps_row_numbers(tmp_path):
    table = engine_cli.read_table(write(tmp_path, "d.csv", "id,a\n\nx,1\n,\ny,85%\n"))
    assert table.row_numbers == [3, 5]
    assert engine_cli.number_at(table, 1, 1) == pytest.approx(0.85)


def test_parse_number():
    assert engine_cli.parse_number("1,234.5") == 1234.5
    assert engine_cli.parse_number(" 12％ ") == pytest.approx(0.12)
    assert engine_cli.parse_number("") is None
    assert engine_cli.parse_number(3) == 3.0
    for bad in ("abc", "1,23", "1.2.3", "nan", "inf"):
        with pytest.raises(ValueError):
            engine_cli.parse_number(bad)
    assert engine_cli.column_letter(0) == "A"
    assert engine_cli.column_letter(27) == "AB"


# -- entropy -------------------------------------------------------------------------------------


def test_entropy_table_and_json(tmp_path, capsys):
    path = write(tmp_path, "d.csv", DATA, bom=True)
    code, out, err = run(["entropy", path, "--cost", "投诉率"], capsys)
    assert code == 0, err
    assert "投诉率" in out and "成本 cost" in out
    code, out, _ = run(["entropy", path, "--cost", "投诉率", "--json"], capsys)
    data = json.loads(out)
    assert data["rows"] == 4 and data["normalization"] == "minmax"
    assert [i["direction"] for i in data["indicators"]] == ["benefit", "cost", "benefit"]
    assert sum(i["weight"] for i in data["indicators"]) == pytest.approx(1)


def test_entropy_constant_column_note_and_xlsx(tmp_path, capsys):
    path = write_xlsx(tmp_path, "d.xlsx", [["id", "a", "b"], ["x", 1, 5], ["y", 2, 5], ["z", 4, 5]])
    code, out, err = run(["entropy", path], capsys)
    assert code == 0, err
    assert "注 note — b" in out


def test_entropy_bad_input(tmp_path, capsys):
    path = write(tmp_path, "d.csv", "编号,a,b\nA,1,2\nB,abc,3\n")
    code, _, err = run(["entropy", path], capsys)
    assert code == 2
    assert err.startswith('第 3 行 B 列 / row 3, column B: "abc" 不是数字 / "abc" is not a number')
    code, _, err = run(["entropy", write(tmp_path, "d.csv", "编号,a\nA,1\nB,\n")], capsys)
    assert code == 2 and "第 3 行 B 列" in err
    code, _, err = run(["entropy", write(tmp_path, "d.csv", DATA), "--cost", "无此列"], capsys)
    assert code == 2 and "无此列" in err
    code, _, err = run(["entropy", write(tmp_path, "d.csv", "id,a\nx,1\n")], capsys)
    assert code == 2 and "2" in err


# -- topsis -------------------------------------------------------------------------------------


def test_topsis_table_and_json(tmp_path, capsys):
    path = write(tmp_path, "d.csv", DATA)
    args = ["topsis", path, "--weights", "0.4,0.3,0.3", "--cost", "投诉率"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert "贴近度 closeness" in out
    code, out, _ = run([*args, "--json"], capsys)
    data = json.loads(out)
    assert [r["id"] for r in data["rows"]] == ["A", "B", "C", "D"]
    assert [r["rank"] for r in data["rows"]] == [2, 4, 1, 3]
    assert all(0 <= r["closeness"] <= 1 for r in data["rows"])
    assert set(data["rows"][0]) == {"id", "s_plus", "s_minus", "closeness", "rank"}
    assert data["criteria"][1]["direction"] == "cost"


def test_topsis_percent_weights(tmp_path, capsys):
    path = write(tmp_path, "d.csv", DATA)
    code, out, _ = run(["topsis", path, "--weights", "40%,30%,30%", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["criteria"][0]["weight"] == pytest.approx(0.4)


def test_topsis_bad_weights(tmp_path, capsys):
    path = write(tmp_path, "d.csv", DATA)
    code, _, err = run(["topsis", path, "--weights", "0.5,0.5"], capsys)
    assert code == 2 and "3" in err
    code, _, err = run(["topsis", path, "--weights", "0.5,0.5,0.5"], capsys)
    assert code == 2 and "sum to 1" in err
    code, _, err = run(["topsis", path, "--weights", "0.5,x,0.5"], capsys)
    assert code == 2 and "x" in err
    code, _, err = run(["topsis", path], capsys)
    assert code == 2 and "--weights" in err


# -- score -----------------------------------------------------------------------------------

SCORE_DATA = "姓名,actual,target\n张三,95,100\n李四,,100\n王五,130,100\n赵六,0,0\n"


def test_score_with_a_rule(tmp_path, capsys):
    rule = write(tmp_path, "r.json", json.dumps({"kind": "ratio", "cap": 1.2}))
    data = write(tmp_path, "d.csv", SCORE_DATA, bom=True)
    code, out, err = run(["score", rule, data], capsys)
    assert code == 0, err
    assert "按完成比例计分" in out and "score" in out
    code, out, _ = run(["score", rule, data, "--json"], capsys)
    result = json.loads(out)
    assert result["rule"]["kind"] == "ratio"
    assert result["columns"] == ["姓名", "actual", "target", "score"]
    assert [r["score"] for r in result["rows"]] == [95, None, 120, 100]
    assert result["rows"][0] == {
        "row": 2,
        "values": {"姓名": "张三", "actual": 95, "target": 100},
        "score": 95,
    }


def test_score_xlsx_and_output(tmp_path, capsys):
    rule = write(
        tmp_path,
        "r.json",
        json.dumps({"kind": "deduction", "deductions": [{"code": "超期", "points": 5}]}),
    )
    data = write_xlsx(tmp_path, "d.xlsx", [["姓名", "超期"], ["甲", 2], ["乙", None]])
    out_path = tmp_path / "out.xlsx"
    code, _, err = run(["score", rule, data, "--output", str(out_path)], capsys)
    assert code == 0, err
    rows = list(load_workbook(out_path).active.iter_rows(values_only=True))
    assert rows == [("姓名", "超期", "score"), ("甲", 2, 90), ("乙", None, 100)]
    csv_path = tmp_path / "out.csv"
    assert run(["score", rule, data, "--output", str(csv_path)], capsys)[0] == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_score_bad_rule_missing_column_and_bad_cell(tmp_path, capsys):
    data = write(tmp_path, "d.csv", SCORE_DATA)
    bad = write(tmp_path, "bad.json", json.dumps({"kind": "ratio", "cap": "x", "flour": 1}))
    code, _, err = run(["score", bad, data], capsys)
    assert code == 2 and "cap" in err and "flour" in err
    broken = write(tmp_path, "broken.json", "{kind: ratio}")
    code, _, err = run(["score", broken, data], capsys)
    assert code == 2 and "JSON" in err
    needs = write(
        tmp_path, "n.json", json.dumps({"kind": "bars", "levels": [{"level": 1, "points": 5}]})
    )
    code, _, err = run(["score", needs, data], capsys)
    assert code == 2 and "level" in err
    rule = write(tmp_path, "r.json", json.dumps({"kind": "ratio"}))
    code, _, err = run(["score", rule, write(tmp_path, "x.csv", "actual,target\n1,x\n")], capsys)
    assert code == 2 and err.startswith('第 2 行 B 列 / row 2, column B: "x" 不是数字')


# -- formula ---------------------------------------------------------------------------------


def test_formula_appends_result(tmp_path, capsys):
    data = write(tmp_path, "d.csv", "姓名,实际值,目标值\n甲,96,100\n乙,,100\n丙,5,0\n")
    expr = "IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))"
    code, out, err = run(["formula", expr, data], capsys)
    assert code == 0, err
    assert "result" in out
    code, out, _ = run(["formula", "[实际值]/[目标值]", data, "--json"], capsys)
    result = json.loads(out)
    assert result["columns"] == ["姓名", "实际值", "目标值", "result"]
    rows = result["rows"]
    assert rows[0]["result"] == pytest.approx(0.96) and rows[0]["error"] is None
    assert rows[2]["result"] is None and rows[2]["error"] == "#DIV/0!"
    assert set(rows[0]) == {"row", "values", "result", "error"}


def test_formula_output_and_errors(tmp_path, capsys):
    data = write(tmp_path, "d.csv", "a,b\n1,2\n3,4\n")
    target = tmp_path / "r.csv"
    code, _, err = run(["formula", "[a]+[b]", data, "--output", str(target)], capsys)
    assert code == 0, err
    assert target.read_text(encoding="utf-8-sig").splitlines() == ["a,b,result", "1,2,3", "3,4,7"]
    code, _, err = run(["formula", "[a]+[c]", data], capsys)
    assert code == 2 and "c" in err
    code, _, err = run(["formula", "SUM([a]", data], capsys)
    assert code == 2


def test_score_with_a_formula_rule(tmp_path, capsys):
    rule = write(
        tmp_path,
        "r.json",
        json.dumps({"kind": "formula", "expression": "MIN(120, [实际值]/[目标值]*100)"}),
    )
    data = write(tmp_path, "d.csv", "actual,target\n50,100\n200,100\n")
    code, out, err = run(["score", rule, data, "--json"], capsys)
    assert code == 0, err
    assert [r["score"] for r in json.loads(out)["rows"]] == [50, 120]


def test_score_refuses_a_formula_rule_with_a_misspelt_input(tmp_path, capsys):
    rule = write(
        tmp_path, "r.json", json.dumps({"kind": "formula", "expression": "[实际值]/[targt]*100"})
    )
    data = write(tmp_path, "d.csv", "actual,target,targt\n50,100,100\n")
    code, out, err = run(["score", rule, data], capsys)
    assert code == 2 and out == ""
    assert "未知变量 [targt]，您是否想写 [target]" in err
    assert "did you mean [target]?" in err


# -- wiring into `jixiao` ----------------------------------------------------------------------


def test_cli_plans_engine_commands_without_django():
    assert cli.plan(["engine", "ahp", "m.csv", "--json"]).engine == ("ahp", "m.csv", "--json")
    assert cli.plan(["engine"]).engine == ()
    assert cli.plan(["bench", "engine"]).engine == ("bench",)
    assert cli.plan(["bench", "engine", "--json", "--people", "500"]).engine == (
        "bench",
        "--people",
        "500",
        "--json",
    )
    assert cli.plan(["bench", "org"]).engine is None


def test_cli_main_runs_engine_in_process(tmp_path, capsys):
    assert cli.main(["engine", "ahp", write(tmp_path, "m.csv", MATRIX)]) == 0
    assert "工作质量" in capsys.readouterr().out
    assert cli.main(["engine", "ahp", str(tmp_path / "missing.csv")]) == 2


def test_usage_errors_exit_2_and_help_exits_0(capsys):
    assert engine_cli.main(["ahp"]) == 2
    assert "usage" in capsys.readouterr().err
    assert engine_cli.main(["nope"]) == 2
    assert engine_cli.main([]) == 0
    assert "ahp" in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:
        engine_cli.main(["--help"])
    assert caught.value.code == 0


def test_bench_engine_small_json(capsys):
    code = engine_cli.main(["bench", "--people", "2000", "--rows", "2000", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scoring"]["appraisees"] == 2000
    assert report["scoring"]["indicators"] == 12
    assert report["scoring"]["seconds"] > 0
    assert "formula" in report


def test_bench_engine_text(capsys):
    assert engine_cli.main(["bench", "--people", "1000", "--rows", "1000"]) == 0
    out = capsys.readouterr().out
    assert "计分 scoring" in out and "no assertions" in out


def test_engine_commands_never_import_django(tmp_path):
    """The commands must work on an analyst's laptop with no settings and no database."""
    path = write(tmp_path, "m.csv", MATRIX)
    code = (
        "import sys\n"
        "from jixiao import cli\n"
        f"rc = cli.main(['engine', 'ahp', {path!r}, '--json'])\n"
        "assert rc == 0, rc\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


RATINGS = """ratee,rater,item,score,group
张三,甲,德,90,peer
张三,乙,德,70,peer
李四,甲,德,95,peer
李四,乙,德,72,peer
王五,甲,德,99,peer
王五,乙,德,60,peer
"""


def test_calibrate_prints_raw_and_corrected_scores(tmp_path, capsys):
    code, out, _err = run(
        ["calibrate", write(tmp_path, "r.csv", RATINGS, bom=True), "--json"], capsys
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["ratee"] for r in rows] == ["张三", "李四", "王五"]
    assert rows[0]["raw_mean"] == 80.0 and rows[0]["raters"] == 2
    assert sorted(r["rank"] for r in rows) == [1, 2, 3]
    code, out, _err = run(["calibrate", write(tmp_path, "r2.csv", RATINGS)], capsys)
    assert code == 0 and "校正后" in out and "王五" in out


def test_calibrate_names_the_bad_cell_and_the_missing_column(tmp_path, capsys):
    code, _out, err = run(
        ["calibrate", write(tmp_path, "b.csv", "ratee,rater,item,score\n张三,甲,德,好\n")], capsys
    )
    assert code == 2 and "D" in err and "好" in err
    code, _out, err = run(
        ["calibrate", write(tmp_path, "c.csv", "ratee,rater,score\n张三,甲,1\n")], capsys
    )
    assert code == 2 and "item" in err
