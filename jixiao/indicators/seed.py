"""The library every installation starts with: indicators for administrative work.

Plain data, so that the data migration (with historical models) and `manage.py
seed_indicators` (through the services) load the same thing. Each rule is written in the
engine's normalized form (every parameter explicit); a test checks that the engine accepts
each one and gives it back unchanged.
"""

from __future__ import annotations

from typing import Any

CONDUCT_POINTS = {5: "100", 4: "85", 3: "70", 2: "55", 1: "30"}
CONDUCT_TITLES = {
    5: "第五级：示范带动",
    4: "第四级：稳定达标",
    3: "第三级：基本达标",
    2: "第二级：存在明显问题",
    1: "第一级：发生违规或失职",
}


def _bars_rule(levels: dict[int, str]) -> dict[str, Any]:
    return {
        "kind": "bars",
        "levels": [
            {"level": n, "points": float(CONDUCT_POINTS[n]), "label": CONDUCT_TITLES[n]}
            for n in sorted(levels, reverse=True)
        ],
    }


def _bars_levels(levels: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "level": n,
            "title": CONDUCT_TITLES[n],
            "description": text,
            "points": CONDUCT_POINTS[n],
        }
        for n, text in sorted(levels.items(), reverse=True)
    ]


def _piecewise(
    direction: str,
    threshold: float,
    target: float,
    stretch: float | None = None,
    *,
    below: float = 0.0,
    at_threshold: float = 60.0,
    at_target: float = 100.0,
    at_stretch: float = 120.0,
) -> dict[str, Any]:
    return {
        "kind": "piecewise",
        "direction": direction,
        "threshold": threshold,
        "target": target,
        "stretch": stretch,
        "below_score": below,
        "threshold_score": at_threshold,
        "target_score": at_target,
        "stretch_score": at_stretch,
    }


def _ratio(
    direction: str,
    *,
    target: float | str = "column",
    floor: float | None = 0.0,
    cap: float | None = 1.2,
    points: float = 100.0,
    lower_formula: str = "inverse",
) -> dict[str, Any]:
    return {
        "kind": "ratio",
        "direction": direction,
        "lower_formula": lower_formula,
        "target": target,
        "floor": floor,
        "cap": cap,
        "points": points,
    }


def _item(code: str, label: str, points: float, cap: float | None) -> dict[str, Any]:
    return {"code": code, "label": label, "points": points, "cap": cap}


DE = {
    5: (
        "组织理论学习时能结合本科室业务写出学习体会并在支部会上交流；在涉及群众利益的事项上坚持"
        "按政策办理，遇到请托当面说明规定、拒绝变通并向分管负责人报告；对外发言和在工作群中的表态"
        "与单位决定一致；年内主动带教新同事熟悉保密规定和公文处理规定；全年无违反政治纪律、组织纪律"
        "和中央八项规定精神的情形。"
    ),
    4: (
        "按时参加全部集中学习（全年缺席不超过 1 次且事前请假），学习笔记完整；遇到请托能按规定拒绝；"
        "对上级决定有不同意见时通过会议发言或书面报告提出，执行时不打折扣；接待服务对象时使用规范"
        "用语，全年无属实投诉和违纪记录。"
    ),
    3: (
        "参加集中学习，偶有缺席但能按要求补学；按规定办事，未发生违反纪律的情形；能执行分配的"
        "任务，但很少主动提出改进意见或帮助同事。"
    ),
    2: (
        "全年无故缺席集中学习 2 次以上，或学习笔记缺失；曾在工作群或对外交流中发表与单位决定不一致"
        "的随意言论，经提醒后改正；接待服务对象时态度生硬，被投诉且经核实属实 1 次。"
    ),
    1: (
        "出现违反政治纪律、组织纪律或保密规定的行为，如在非涉密计算机上处理涉密文件、擅自对外提供"
        "内部文件；或因作风问题被属实投诉 2 次以上，受到诫勉谈话及以上处理。"
    ),
}

NENG = {
    5: (
        "独立起草本单位重要综合文稿（如年度工作总结、向上级的专题报告），送审稿经领导实质性修改"
        "不超过两处；能用台账数据分析发现业务问题并提出改进方案，年内至少 1 项方案被采纳实施；"
        "熟练使用办公自动化和电子政务平台，能为同事解答操作问题；年内牵头完成 1 项跨科室工作，"
        "如办公用房调整或大型会议保障方案。"
    ),
    4: (
        "独立完成常规公文和材料起草，格式、文号、密级标注符合《党政机关公文处理工作条例》，每份"
        "退改不超过 1 次；能独立办理本岗位 90% 以上的事项，遇到新问题能查阅规定后提出处理意见；"
        "熟练使用本岗位信息系统的全部常用功能。"
    ),
    3: (
        "能按模板完成常规公文和台账，偶有格式或数据错误需要退回修改；本岗位日常事项能独立办理，"
        "较复杂的事项需要在同事或负责人指导下完成。"
    ),
    2: (
        "起草的材料在一个季度内 3 次以上因事实、数据或格式错误被退回；对本岗位常用政策规定不熟悉，"
        "需要反复询问同事；不会使用本岗位信息系统的部分常用功能，办理时限因此延长。"
    ),
    1: (
        "不能独立完成本岗位基本业务（如收发文登记、会议通知、台账更新），经培训和指导后仍出现差错，"
        "造成工作返工或延误，并产生不良影响。"
    ),
}

QIN = {
    5: (
        "连续三个月以上公文办理均在时限内完成；主动承担节假日值班和临时性紧急任务（年内 2 次以上），"
        "接到任务当天响应并安排；全年无迟到早退，请假均事前按程序报批；工作台账和工作日志每日更新。"
    ),
    4: (
        "公文和交办事项按时完成率在 98% 以上；按排班完成值班，工作需要时能调整个人安排加班；全年"
        "迟到早退不超过 2 次；交办事项在约定时间之前主动反馈进度。"
    ),
    3: (
        "大部分工作按时完成，每季度有 1—2 件事项需要催办后才完成；按排班值班，但不主动承担额外"
        "任务；考勤基本正常。"
    ),
    2: (
        "一个季度内有 3 件以上事项逾期或需要反复催办；值班期间有过离岗或未按规定交接班的情况；迟到、"
        "早退或未请假缺勤累计 3 次以上。"
    ),
    1: (
        "多次拖延交办任务造成工作延误，如会议材料未能按时印发、群众诉求超时未办；值班期间脱岗导致"
        "来电来文无人处理；或有旷工、无故缺勤的情形。"
    ),
}

JI = {
    5: (
        "年度目标任务全部完成，且有 3 项以上关键指标达到挑战值；承办事项零差错、零超时；服务对象"
        "满意度在本单位排名前 10%；有 1 项以上工作经验被上级部门推广，或受到上级书面通报表扬。"
    ),
    4: (
        "年度目标任务全部完成，关键指标均达到目标值；承办事项差错不超过 2 次且均在当天纠正；"
        "服务对象满意度不低于 95%。"
    ),
    3: (
        "年度目标任务完成率在 90% 以上，个别指标未达目标值但达到门槛值；有少量差错，未造成不良影响。"
    ),
    2: (
        "年度目标任务完成率在 70%—90% 之间，或有关键指标未达门槛值；差错造成返工，或被服务对象属实"
        "投诉 1 次。"
    ),
    1: (
        "年度目标任务完成率低于 70%；或全年有 3 件以上承办事项因本人原因超时未办结；或因工作失误"
        "造成经济损失、被上级通报批评。"
    ),
}

LIAN = {
    5: (
        "严格执行公务接待、公务用车和办公用品领用规定，全年经手的报销单据零退回；按时如实申报个人"
        "有关事项；发现采购、报销中的不规范做法主动提醒当事人并向负责人报告；在廉政教育活动中作"
        "专题发言或分享身边案例。"
    ),
    4: (
        "按规定办理公务接待、差旅和报销，报销单据因手续不全退回不超过 1 次；按时如实填报个人有关"
        "事项；婉拒服务对象赠送的礼品并向负责人报告。"
    ),
    3: (
        "遵守廉洁纪律，全年无违规行为；报销、领用等手续一年内有 1—2 次不全，经财务或负责人提醒后"
        "当周补正。"
    ),
    2: (
        "出现公车私用苗头、超标准接待或办公用品超量领用等问题，经提醒或谈话后改正；个人有关事项"
        "填报有 1 项以上遗漏。"
    ),
    1: (
        "收受礼品礼金、违规报销、公车私用等问题经查证属实 1 次及以上，或隐瞒个人有关事项不报，受到组织处理"
        "或纪律处分。"
    ),
}


def _conduct(code: str, name: str, definition: str, levels: dict[int, str]) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "category": "conduct",
        "definition": definition,
        "standard": (
            "考核人对照各等级的行为描述，选择与被考核人考核期内实际表现最相符的等级；评为第五级或"
            "第一级的，须写明所依据的具体事例。"
        ),
        "unit": "级",
        "direction": "higher",
        "source_kind": "manual",
        "source_detail": "考核人依据平时考核记录、工作台账和群众评价选择等级。",
        "rule": _bars_rule(levels),
        "default_weight": "20",
        "period": "annual",
        "responsible": "直接上级、分管领导",
        "bars_levels": _bars_levels(levels),
    }


SEED_INDICATORS: list[dict[str, Any]] = [
    # ------------------------------------------------------------ efficiency
    {
        "code": "XL-01",
        "name": "公文办理平均时长（收文至归档）",
        "category": "efficiency",
        "definition": (
            "考核期内办结归档的收文，从收文登记到归档的平均用时。按工作日计算，法定节假日和"
            "休息日不计，调休上班日计入。"
        ),
        "standard": "平均用时不超过 5 个工作日得 100 分；8 个工作日得 60 分；3 个工作日及以内得 120 分；其间按直线插值；超过 8 个工作日得 0 分。",
        "unit": "工作日",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "公文管理系统：收文登记日期、归档日期（按工作日历计算）。",
        "rule": _piecewise("lower", 8, 5, 3),
        "default_weight": "10",
        "period": "quarterly",
        "responsible": "办公室（文秘科）",
    },
    {
        "code": "XL-02",
        "name": "公文按时办结率",
        "category": "efficiency",
        "definition": "考核期内应办结的收文中，在办理时限内办结的件数占应办结件数的百分比。",
        "standard": "按时办结率达到 98% 得 100 分；90% 得 60 分；其间按直线插值；低于 90% 得 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "公文管理系统：办理时限、办结日期。",
        "rule": _piecewise("higher", 90, 98),
        "default_weight": "10",
        "period": "quarterly",
        "responsible": "办公室（文秘科）",
    },
    {
        "code": "XL-03",
        "name": "办公用品单位工作量消耗",
        "category": "efficiency",
        "definition": (
            "考核期内办公用品消耗金额除以同期工作量（办件数）。能耗、车辆和预算执行可按同样口径"
            "另设指标。"
        ),
        "standard": "实际值不高于定额（目标值）得 100 分，低于定额按 目标值/实际值 加分，最高 120 分；高于定额按比例扣减。",
        "unit": "元/件",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "资产与物资台账：领用金额；业务系统：办件数。",
        "rule": _ratio("lower"),
        "default_weight": "5",
        "period": "quarterly",
        "responsible": "办公室（行政事务科）",
    },
    {
        "code": "XL-04",
        "name": "办公用品消耗增速超出业务量增速",
        "category": "efficiency",
        "definition": (
            "办公用品消耗同比增速减去业务量同比增速，单位为百分点。为正说明消耗增长快于产出，"
            "存在浪费。"
        ),
        "standard": "不超过 0 个百分点得 100 分；0—5 个百分点得 80 分；5—10 个百分点得 60 分；超过 10 个百分点得 40 分。",
        "unit": "百分点",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "资产与物资台账、业务系统，按同比口径计算。",
        "rule": {
            "kind": "bands",
            "bands": [
                {"min": None, "max": 0.0, "points": 100.0},
                {"min": 0.0, "max": 5.0, "points": 80.0},
                {"min": 5.0, "max": 10.0, "points": 60.0},
                {"min": 10.0, "max": None, "points": 40.0},
            ],
            "right_closed": True,
            "outside_points": None,
        },
        "default_weight": "5",
        "period": "annual",
        "responsible": "办公室（行政事务科）",
    },
    # ------------------------------------------------------------ service quality
    {
        "code": "FW-01",
        "name": "内部客户满意度",
        "category": "service_quality",
        "definition": (
            "对所服务科室的满意度调查（设备报修及时性、会议安排质量等），按“好差评”五级"
            "（非常满意 100、满意 80、基本满意 60、不满意 30、非常不满意 0）折算的平均分。"
        ),
        "standard": "平均分达到 95 得 100 分；80 得 60 分；其间按直线插值；低于 80 得 0 分。平均分往往偏高，应与不满意评价占比一并看。",
        "unit": "分",
        "direction": "higher",
        "source_kind": "survey",
        "source_detail": "内部客户满意度问卷，每季度一次，被服务科室每科至少 3 份。",
        "rule": _piecewise("higher", 80, 95),
        "default_weight": "10",
        "period": "quarterly",
        "responsible": "办公室",
    },
    {
        "code": "FW-02",
        "name": "不满意评价占比（不满意＋非常不满意）",
        "category": "service_quality",
        "definition": "满意度评价中“不满意”和“非常不满意”两档的份数占全部有效评价份数的百分比。",
        "standard": "占比不超过 3% 得 100 分；10% 得 60 分；0 得 120 分；其间按直线插值；超过 10% 得 0 分。",
        "unit": "%",
        "direction": "lower",
        "source_kind": "survey",
        "source_detail": "内部客户满意度问卷和“好差评”系统。",
        "rule": _piecewise("lower", 10, 3, 0),
        "default_weight": "10",
        "period": "quarterly",
        "responsible": "办公室",
    },
    {
        "code": "FW-03",
        "name": "差评整改平均时长",
        "category": "service_quality",
        "definition": "收到“不满意”或“非常不满意”评价到整改完成并回访的平均用时，按工作日计算。",
        "standard": "不超过 3 个工作日得 100 分；10 个工作日得 60 分；其间按直线插值；超过 10 个工作日得 0 分。",
        "unit": "工作日",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "“好差评”系统：差评时间、整改回访时间。",
        "rule": _piecewise("lower", 10, 3),
        "default_weight": "5",
        "period": "quarterly",
        "responsible": "办公室",
    },
    {
        "code": "FW-04",
        "name": "投诉率（属实投诉）",
        "category": "service_quality",
        "definition": (
            "考核期内经核实属实的投诉件数除以同期服务件数，以千分比表示。投诉来源包括内部投诉、"
            "12345 热线转办和“好差评”，默认只计属实投诉。"
        ),
        "standard": "不超过 0.5‰ 得 100 分；2‰ 得 60 分；其间按直线插值；超过 2‰ 得 0 分。",
        "unit": "‰",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "投诉登记台账（核查结论为“属实”的件数）、业务系统服务件数。",
        "rule": _piecewise("lower", 2, 0.5),
        "default_weight": "10",
        "period": "quarterly",
        "responsible": "办公室、各服务窗口",
    },
    # ------------------------------------------------------------ goal achievement
    {
        "code": "MB-01",
        "name": "战略目标分解覆盖率",
        "category": "goal_achievement",
        "definition": "本单位年度战略目标中，已分解落实到部门目标和个人目标的项数占全部战略目标项数的百分比。",
        "standard": "覆盖率 100% 得 100 分；80% 得 60 分；其间按直线插值；低于 80% 得 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "goal_progress",
        "source_detail": "目标管理：战略目标与部门、个人目标的对应关系。",
        "rule": _piecewise("higher", 80, 100),
        "default_weight": "10",
        "period": "annual",
        "responsible": "考核办",
    },
    {
        "code": "MB-02",
        "name": "战略目标加权达成率",
        "category": "goal_achievement",
        "definition": "各项目标完成程度按目标权重加权汇总（逐层上卷）后的达成率。",
        "standard": "达成率与目标值（一般为 100%）之比乘以 100 分，最高 120 分，最低 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "goal_progress",
        "source_detail": "目标管理：目标完成度和权重，按目标层级加权上卷。",
        "rule": _ratio("higher"),
        "default_weight": "20",
        "period": "annual",
        "responsible": "考核办",
    },
    {
        "code": "MB-03",
        "name": "专项项目进度绩效指数（SPI）",
        "category": "goal_achievement",
        "definition": (
            "挣值法进度指数 SPI = EV/PV，其中 PV = 预算 × 计划完成百分比，EV = 预算 × 实际完成"
            "百分比。适用于办公用房改造等专项项目。"
        ),
        "standard": "SPI 不低于 1.0 得 100 分；0.8 得 60 分；1.1 及以上得 110 分；其间按直线插值；低于 0.8 得 0 分。",
        "unit": "",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "项目台账：预算、计划完成百分比、实际完成百分比。",
        "rule": _piecewise("higher", 0.8, 1.0, 1.1, at_stretch=110.0),
        "default_weight": "10",
        "period": "special",
        "responsible": "项目负责科室",
    },
    {
        "code": "MB-04",
        "name": "专项项目成本绩效指数（CPI）",
        "category": "goal_achievement",
        "definition": "挣值法成本指数 CPI = EV/AC，其中 AC 为实际发生成本。CPI 小于 1 表示超支。",
        "standard": "CPI 不低于 1 得 100 分；低于 1 时每低 0.01 扣 2 分，扣完为止。",
        "unit": "",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "项目台账与财务支出记录：预算、实际完成百分比、实际成本。",
        "rule": {
            "kind": "formula",
            "expression": "IF([实际值]>=1, 100, MAX(0, 100-(1-[实际值])*200))",
        },
        "default_weight": "10",
        "period": "special",
        "responsible": "项目负责科室",
    },
    # ------------------------------------------------------------ hotline and window
    {
        "code": "RX-01",
        "name": "12345 热线工单按时受理率",
        "category": "hotline_window",
        "definition": "转办工单在规定时限内签收受理的件数占应受理件数的百分比。",
        "standard": "受理率达到 100% 得 100 分；95% 得 60 分；其间按直线插值；低于 95% 得 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "12345 热线工单系统：派单时间、签收时间。",
        "rule": _piecewise("higher", 95, 100),
        "default_weight": "10",
        "period": "monthly",
        "responsible": "政务服务科",
    },
    {
        "code": "RX-02",
        "name": "12345 热线工单按时办结率",
        "category": "hotline_window",
        "definition": "工单在承诺时限内办结并答复的件数占应办结件数的百分比。",
        "standard": "办结率达到 98% 得 100 分；90% 得 60 分；其间按直线插值；低于 90% 得 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "12345 热线工单系统：承诺时限、办结时间。",
        "rule": _piecewise("higher", 90, 98),
        "default_weight": "10",
        "period": "monthly",
        "responsible": "政务服务科",
    },
    {
        "code": "RX-03",
        "name": "群众满意率（热线与窗口）",
        "category": "hotline_window",
        "definition": "回访和“好差评”中评价为“非常满意”“满意”“基本满意”的份数占有效评价份数的百分比。",
        "standard": "满意率达到 98% 得 100 分；90% 得 60 分；其间按直线插值；低于 90% 得 0 分。",
        "unit": "%",
        "direction": "higher",
        "source_kind": "survey",
        "source_detail": "12345 回访结果、窗口“好差评”评价器数据。",
        "rule": _piecewise("higher", 90, 98),
        "default_weight": "10",
        "period": "monthly",
        "responsible": "政务服务科",
    },
    {
        "code": "RX-04",
        "name": "发回重办率",
        "category": "hotline_window",
        "definition": "因答复不实、不到位被热线中心发回重办的工单数占办结工单数的百分比。",
        "standard": "不超过 1% 得 100 分；5% 得 60 分；其间按直线插值；超过 5% 得 0 分。",
        "unit": "%",
        "direction": "lower",
        "source_kind": "records",
        "source_detail": "12345 热线工单系统：发回重办记录。",
        "rule": _piecewise("lower", 5, 1),
        "default_weight": "10",
        "period": "monthly",
        "responsible": "政务服务科",
    },
    {
        "code": "RX-05",
        "name": "热线与窗口服务综合计分（百分制扣分）",
        "category": "hotline_window",
        "definition": (
            "以 100 分为基础：超时受理、超时办结、不满意评价和发回重办逐件扣分，群众书面表扬和"
            "上级通报表扬逐次加分；各项扣分有上限，扣完为止，总分不超过 105 分。"
        ),
        "standard": (
            "超时受理每件扣 0.5 分，最多扣 20 分；超时办结每件扣 1 分，最多扣 30 分；不满意评价每件"
            "扣 1 分，最多扣 20 分；发回重办每件扣 2 分，最多扣 30 分；群众书面表扬、锦旗每次加 1 分，"
            "最多加 3 分；上级通报表扬每次加 2 分，最多加 4 分。"
        ),
        "unit": "分",
        "direction": "higher",
        "source_kind": "records",
        "source_detail": "12345 热线工单系统、窗口“好差评”系统、表扬登记台账。",
        "rule": {
            "kind": "deduction",
            "base": 100.0,
            "deductions": [
                _item("late_accept", "超时受理（件）", 0.5, 20.0),
                _item("late_close", "超时办结（件）", 1.0, 30.0),
                _item("dissatisfied", "不满意评价（件）", 1.0, 20.0),
                _item("redo", "发回重办（件）", 2.0, 30.0),
            ],
            "bonuses": [
                _item("praise", "群众书面表扬、锦旗（次）", 1.0, 3.0),
                _item("commendation", "上级通报表扬（次）", 2.0, 4.0),
            ],
            "stop_at_zero": True,
            "cap": 105.0,
        },
        "default_weight": "20",
        "period": "monthly",
        "responsible": "政务服务科",
    },
    # ------------------------------------------------------------ 德、能、勤、绩、廉
    _conduct(
        "DN-01",
        "德：政治品德与职业道德",
        "政治立场、理论学习、执行决定、遵守纪律和职业道德，以及对待服务对象的作风。",
        DE,
    ),
    _conduct(
        "DN-02",
        "能：履职能力",
        "完成岗位职责所需的文字、业务、信息化和组织协调能力，以看得见的工作成果为依据。",
        NENG,
    ),
    _conduct(
        "DN-03",
        "勤：工作态度与勤勉",
        "出勤、办理时效、值班和承担急难任务的表现，以考勤记录、公文时效和值班记录为依据。",
        QIN,
    ),
    _conduct(
        "DN-04",
        "绩：工作实绩",
        "完成工作的数量、质量、效率和效果，以及服务对象的满意程度，以年度目标完成情况为主要依据。",
        JI,
    ),
    _conduct(
        "DN-05",
        "廉：廉洁自律",
        "执行公务接待、公务用车、报销和个人有关事项报告等廉洁规定的情况。",
        LIAN,
    ),
]

SEED_CODES = [entry["code"] for entry in SEED_INDICATORS]


def _levels_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return list(entry.get("bars_levels") or [])


def load_into(indicator_model: Any, level_model: Any, audit_model: Any | None = None) -> int:
    """Create the seed indicators whose codes are missing, with the given model classes.

    The data migration passes its historical models, so this never depends on the current
    code of the models or services. Existing codes are left alone. Returns how many were
    created.
    """
    existing = set(indicator_model.objects.values_list("code", flat=True))
    created = 0
    for entry in SEED_INDICATORS:
        if entry["code"] in existing:
            continue
        fields = {k: v for k, v in entry.items() if k != "bars_levels"}
        indicator = indicator_model.objects.create(
            revision=1, is_latest=True, change_note="预置指标库", **fields
        )
        level_model.objects.bulk_create(
            [level_model(indicator=indicator, **level) for level in _levels_of(entry)]
        )
        if audit_model is not None:
            audit_model.objects.create(
                actor_label="system",
                source="system",
                action="indicators.indicator.seed",
                object_type="indicators.indicator",
                object_id=str(indicator.pk),
                object_label=f"{indicator.code} {indicator.name}"[:255],
                changes={"code": [None, indicator.code], "name": [None, indicator.name]},
                reason="预置指标库 / preloaded library",
            )
        created += 1
    return created
