"""The scheme presets as data: 公务员年度考核, 事业单位年度考核 and a company scheme.

Every number here (grades and their bands, the share of the top grade, its rounding, the
higher share with approval or by the unit's own grade, section and group weights, anonymity
thresholds) lands in the scheme's rows, where the performance office can change it; nothing
below is read by the scoring code directly.
"""

from __future__ import annotations

from typing import Any

from jixiao.appraisals.models import KpiSource, RaterGroup, SchemePreset, SectionKind

CONDUCT_ITEMS = [
    ("de", "德", "DN-01"),
    ("neng", "能", "DN-02"),
    ("qin", "勤", "DN-03"),
    ("lian", "廉", "DN-05"),
]


def _conduct_section(weight: float) -> dict[str, Any]:
    return {
        "code": "conduct",
        "name": "德、能、勤、廉",
        "kind": SectionKind.RATING,
        "weight": weight,
        "items": [
            {"code": code, "name": name, "indicator": indicator, "weight": 25, "max_score": 100}
            for code, name, indicator in CONDUCT_ITEMS
        ],
    }


def _achievement_section(weight: float) -> dict[str, Any]:
    return {
        "code": "achievement",
        "name": "工作实绩（绩）",
        "kind": SectionKind.KPI,
        "weight": weight,
        "items": [
            {
                "code": "goals",
                "name": "年度目标完成情况",
                "kpi_source": KpiSource.GOAL_PROGRESS,
                "weight": 100,
                "max_score": 100,
            }
        ],
    }


def _democratic_section(weight: float) -> dict[str, Any]:
    return {
        "code": "democratic",
        "name": "民主测评",
        "kind": SectionKind.RATING,
        "weight": weight,
        "items": [
            {
                "code": "overall",
                "name": "工作实绩综合评价",
                "indicator": "DN-04",
                "weight": 100,
                "max_score": 100,
            }
        ],
    }


def _group(group: str, weight: float, sections: list[str], **kw: Any) -> dict[str, Any]:
    return {"group": group, "weight": weight, "sections": sections, **kw}


PRESETS: dict[str, dict[str, Any]] = {
    SchemePreset.CIVIL_SERVANT: {
        "name": "公务员年度考核",
        "description": "德、能、勤、绩、廉全面考核，突出工作实绩；等次为优秀、称职、基本称职、不称职，优秀一般不超过参加考核人数的20%，经批准可到25%。",
        "grades": [
            {"code": "excellent", "label": "优秀", "min_score": 90},
            {"code": "competent", "label": "称职", "min_score": 70},
            {"code": "basic", "label": "基本称职", "min_score": 60},
            {"code": "incompetent", "label": "不称职", "min_score": 0},
        ],
        "quota_rules": [
            {
                "grades": ["excellent"],
                "op": "at_most",
                "share": 0.20,
                "share_if_approved": 0.25,
                "rounding": "half_up",
                "enforced": True,
                "population": "cycle",
                "label": "优秀不超过参加考核人数的20%（经批准25%）",
            }
        ],
        "sections": [_achievement_section(50), _conduct_section(35), _democratic_section(15)],
        "groups": [
            _group(RaterGroup.SELF, 0, ["conduct"]),
            _group(RaterGroup.SUPERIOR, 50, ["conduct"]),
            _group(RaterGroup.LEADER, 20, ["conduct"]),
            _group(
                RaterGroup.PEER,
                30,
                ["conduct", "democratic"],
                min_responses=3,
                anonymous=True,
                standardize=True,
                count=5,
            ),
        ],
    },
    SchemePreset.INSTITUTION: {
        "name": "事业单位工作人员年度考核",
        "description": "以岗位职责和所承担的工作任务为基本依据，等次为优秀、合格、基本合格、不合格；优秀一般不超过20%，单位获集体奖励或考核为优秀的可到25%，单位考核不合格或被问责的不超过15%。",
        "grades": [
            {"code": "excellent", "label": "优秀", "min_score": 90},
            {"code": "qualified", "label": "合格", "min_score": 70},
            {"code": "basic", "label": "基本合格", "min_score": 60},
            {"code": "unqualified", "label": "不合格", "min_score": 0},
        ],
        "quota_rules": [
            {
                "grades": ["excellent"],
                "op": "at_most",
                "share": 0.20,
                "share_by_unit_grade": {"excellent": 0.25, "failed": 0.15},
                "rounding": "half_up",
                "enforced": True,
                "population": "cycle",
                "label": "优秀不超过20%（单位优秀或获集体奖励25%，单位不合格15%）",
            }
        ],
        "sections": [
            _achievement_section(50),
            _conduct_section(30),
            {
                "code": "satisfaction",
                "name": "服务对象满意度",
                "kind": SectionKind.RATING,
                "weight": 20,
                "items": [
                    {"code": "service", "name": "服务质量与态度", "weight": 100, "max_score": 100}
                ],
            },
        ],
        "groups": [
            _group(RaterGroup.SELF, 0, ["conduct"]),
            _group(RaterGroup.SUPERIOR, 40, ["conduct"]),
            _group(RaterGroup.LEADER, 20, ["conduct"]),
            _group(
                RaterGroup.PEER,
                20,
                ["conduct"],
                min_responses=3,
                anonymous=True,
                standardize=True,
                count=5,
            ),
            _group(
                RaterGroup.RECIPIENT,
                20,
                ["satisfaction"],
                min_responses=3,
                anonymous=True,
                standardize=True,
                count=5,
            ),
        ],
    },
    SchemePreset.COMPANY: {
        "name": "行政部门绩效考核（S/A/B/C/D）",
        "description": "KPI 与能力行为结合；分布参考 20-70-10：S+A 不超过20%，C+D 不少于10%（建议性）。",
        "grades": [
            {"code": "S", "label": "S", "min_score": 95},
            {"code": "A", "label": "A", "min_score": 85},
            {"code": "B", "label": "B", "min_score": 70},
            {"code": "C", "label": "C", "min_score": 60},
            {"code": "D", "label": "D", "min_score": 0},
        ],
        "quota_rules": [
            {
                "grades": ["S", "A"],
                "op": "at_most",
                "share": 0.20,
                "rounding": "up",
                "enforced": True,
                "population": "cycle",
                "label": "S+A 不超过20%",
            },
            {
                "grades": ["C", "D"],
                "op": "at_least",
                "share": 0.10,
                "rounding": "down",
                "enforced": False,
                "population": "cycle",
                "label": "C+D 不少于10%（建议）",
            },
        ],
        "sections": [
            {
                "code": "kpi",
                "name": "关键绩效指标（KPI）",
                "kind": SectionKind.KPI,
                "weight": 60,
                "items": [
                    {
                        "code": "goals",
                        "name": "目标完成情况",
                        "kpi_source": KpiSource.GOAL_PROGRESS,
                        "weight": 100,
                        "max_score": 100,
                    }
                ],
            },
            {
                "code": "competence",
                "name": "能力与行为",
                "kind": SectionKind.RATING,
                "weight": 40,
                "items": [
                    {
                        "code": "neng",
                        "name": "履职能力",
                        "indicator": "DN-02",
                        "weight": 50,
                        "max_score": 100,
                    },
                    {
                        "code": "qin",
                        "name": "工作态度",
                        "indicator": "DN-03",
                        "weight": 50,
                        "max_score": 100,
                    },
                ],
            },
        ],
        "groups": [
            _group(RaterGroup.SELF, 0, ["competence"]),
            _group(RaterGroup.SUPERIOR, 60, ["competence"]),
            _group(
                RaterGroup.PEER,
                40,
                ["competence"],
                min_responses=3,
                anonymous=True,
                standardize=True,
                count=4,
            ),
        ],
    },
}

DEFAULT_ELIGIBILITY = {"new_hire_months": 6, "leave_months": 6, "seconded_months": 6}
