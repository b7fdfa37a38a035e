"""Goal data for the demo organization (某市政务服务管理局), of any size, from the seed.

For the current year and the year before (closed with outcomes): the unit's strategy (themes,
multi-year and annual objectives, the planning policy), unit goals, department and section
goals aligned to them, three to five personal goals per person aligned to their department's
goals, key results on library indicators where they fit, check-ins, work plans with projects
and milestones, department budgets and goal templates.

The mix is deliberate, so that every planning check has something to show: most goals are
approved or locked, some wait for the `head` account's approval, one of `employee`'s goals was
returned with a comment; a few people's weights do not add up to 100%, a few goals fail the
SMART check, two pairs of goals push the same indicator in opposite directions, a few
departments carry too little long-term capacity building, the 办公室 plans more than its
budget and its 办公楼改造 project is late and over cost. Before this year only the bureau's
own departments planned goals (the service sub-centres of a large bureau joined this year).

Rows are written as the services would leave them (statuses, versions, submitted_by,
approved_by, timestamps, last_checkin_at, key-result values from the latest check-in) but
without audit records: demo data is not anybody's action. The one exception is the comment of
a returned goal, which lives in the audit record of the return (the goal page reads it there).

Writing is set-based: goals, key results, check-ins and their values go in as plain rows with
ids allocated up front (COPY on PostgreSQL, executemany on SQLite), everything small through
bulk_create; progress is then computed once by progress.recompute_all().
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from jixiao.accounts.models import User
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.goals import progress
from jixiao.goals.models import (
    ActionItem,
    ChangeRequest,
    CheckIn,
    CheckInCadence,
    CheckInComment,
    CheckInValue,
    ConflictAcknowledgement,
    DepartmentBudget,
    Evidence,
    Goal,
    GoalLevel,
    GoalOutcome,
    GoalStatus,
    GoalSupport,
    GoalTemplate,
    Horizon,
    KeyResult,
    KeyResultSource,
    Milestone,
    OneOnOne,
    PlanningPolicy,
    PrivateNote,
    ProgressMode,
    StrategicObjective,
    StrategicTheme,
    TemplateKeyResult,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from jixiao.goals.periods import PeriodKind
from jixiao.goals.strategy import DEFAULT_THEMES
from jixiao.goals.workflow import suggested_outcome
from jixiao.indicators.models import Direction, Indicator
from jixiao.org import demo as org_demo
from jixiao.org.models import Department, DepartmentKind, Person, PersonStatus, PostCategory

DEFAULT_SEED = org_demo.DEFAULT_SEED
MIN_CAPACITY_SHARE = Decimal(15)
SUBCENTRE_SUFFIX = "政务服务分中心"
LEADERSHIP = "局领导"
WINDOW_POST = "窗口受理岗"
WINDOW_TEMPLATE = "窗口受理岗年度目标"
TRAINING_TEMPLATE = "干部学习培训年度目标"
INTEGER_UNITS = frozenset({"件", "项", "个", "人", "家", "位", "学时", "次"})

# ---------------------------------------------------------------- content


@dataclass(frozen=True, slots=True)
class KR:
    """A key result as planned: baseline, threshold, target and stretch, maybe an indicator."""

    title: str
    unit: str
    baseline: float
    threshold: float
    target: float
    stretch: float
    lower: bool = False
    indicator: str = ""  # a code of the preloaded library (jixiao/indicators/seed.py)
    weight: int = 100

    def previous(self) -> KR:
        """The same key result one year earlier: last year's target is this year's baseline."""
        step = self.target - self.baseline
        return KR(
            self.title,
            self.unit,
            _round(self.baseline - step, self.unit),
            _round(self.baseline - 0.4 * step, self.unit),
            self.baseline,
            _round(self.baseline + 0.3 * step, self.unit),
            self.lower,
            self.indicator,
            self.weight,
        )


@dataclass(frozen=True, slots=True)
class Spec:
    """A goal as planned: `aligns` names the goal above it (a unit-goal key for a department,
    a department-goal key for a section); `{t}` in a title is its first key result's target;
    `mine` is the personal version a member of its owner takes on."""

    key: str
    title: str
    aligns: str
    weight: int
    krs: tuple[KR, ...]
    capacity: bool = False
    mine: str = ""
    mine_krs: tuple[KR, ...] = ()
    conflict: bool = False  # a deliberate conflict: only among the department's own goals

    def personal_krs(self) -> tuple[KR, ...]:
        return self.mine_krs or self.krs[:1]


def k(
    title: str,
    unit: str,
    baseline: float,
    threshold: float,
    target: float,
    stretch: float,
    *,
    lower: bool = False,
    ind: str = "",
    w: int = 100,
) -> KR:
    return KR(title, unit, baseline, threshold, target, stretch, lower, ind, w)


def g(
    key: str,
    title: str,
    aligns: str,
    weight: int,
    krs: Sequence[KR],
    *,
    capacity: bool = False,
    mine: str = "",
    mine_krs: Sequence[KR] = (),
    conflict: bool = False,
) -> Spec:
    return Spec(key, title, aligns, weight, tuple(krs), capacity, mine, tuple(mine_krs), conflict)


# Shared key results.
ON_TIME_DOCS = k("公文按时办结率", "%", 94, 96, 98, 99.5, ind="XL-02")
DOC_DAYS = k(
    "公文办理平均时长（收文至归档）", "工作日", 5.5, 4.5, 3.5, 3.0, lower=True, ind="XL-01"
)
HOTLINE_ON_TIME = k("12345 热线工单按时办结率", "%", 93.5, 96, 98, 99.5, ind="RX-02")
HOTLINE_ACCEPT = k("12345 热线工单按时受理率", "%", 97, 98.5, 99.5, 100, ind="RX-01")
SATISFACTION = k("群众满意率（热线与窗口）", "%", 92, 94, 96, 98, ind="RX-03")
REWORK_DOWN = k("发回重办率", "%", 4.2, 3.5, 2.5, 1.8, lower=True, ind="RX-04")
REWORK_UP = k("发回重办率（质量把关）", "%", 2.0, 2.5, 3.0, 3.5, ind="RX-04")
DISSATISFIED = k("不满意评价占比", "%", 1.6, 1.2, 0.8, 0.5, lower=True, ind="FW-02")
FIX_DAYS = k("差评整改平均时长", "工作日", 6, 5, 3, 2, lower=True, ind="FW-03")
COMPLAINTS = k("投诉率（属实投诉）", "‰", 0.8, 0.6, 0.4, 0.3, lower=True, ind="FW-04")
INTERNAL_SATISFACTION = k("内部客户满意度", "分", 88, 90, 93, 95, ind="FW-01")
SUPPLIES = k("办公用品单位工作量消耗", "元/件", 3.2, 3.0, 2.8, 2.5, lower=True, ind="XL-03")
STRATEGY_ACHIEVED = k("战略目标加权达成率", "%", 85, 88, 92, 95, ind="MB-02")
STRATEGY_COVERED = k("战略目标分解覆盖率", "%", 80, 90, 100, 100, ind="MB-01")
TRAINING_HOURS = k("人均参训学时", "学时", 42, 50, 60, 72)
SKILL_EXAM = k("业务技能考试合格率", "%", 88, 92, 95, 98)
ONLINE_INTERNAL = k("机关内部高频事项网上办理率", "%", 62, 75, 90, 95)
DUTY = k("岗位职责任务按时完成率", "%", 90, 95, 100, 100)


def w(kr: KR, weight: int) -> KR:
    """The key result with another weight within its goal."""
    return replace(kr, weight=weight)


UNIT_GOALS: tuple[Spec, ...] = (
    g(
        "yiwang",
        "政务服务“一网通办”事项占比达到{t}%",
        "履职成效",
        20,
        [
            k("“一网通办”事项占依申请政务服务事项比例", "%", 86, 90, 95, 98, w=60),
            k("“一件事一次办”集成服务事项", "件", 12, 20, 30, 36, w=40),
        ],
    ),
    g(
        "hotline",
        "12345热线工单按时办结率达到{t}%",
        "服务对象",
        20,
        [w(HOTLINE_ON_TIME, 50), w(SATISFACTION, 30), w(REWORK_DOWN, 20)],
    ),
    g(
        "service",
        "政务服务“好差评”不满意评价占比降至{t}%",
        "服务对象",
        15,
        [w(DISSATISFIED, 60), w(FIX_DAYS, 40)],
    ),
    g(
        "cost",
        "机关运行成本压减{t}%",
        "资源保障",
        10,
        [k("一般性支出较上年压减比例", "%", 0, 3, 5, 7, w=60), w(SUPPLIES, 40)],
    ),
    g(
        "digital",
        "数字机关建设：机关内部高频事项网上办理率达到{t}%",
        "学习成长",
        15,
        [w(ONLINE_INTERNAL, 60), w(DOC_DAYS, 40)],
        capacity=True,
    ),
    g(
        "talent",
        "干部队伍能力提升：人均参训{t}学时",
        "学习成长",
        10,
        [w(TRAINING_HOURS, 50), w(SKILL_EXAM, 50)],
        capacity=True,
    ),
    g(
        "duban",
        "重点工作督查督办按期办结，公文按时办结率达到{t}%",
        "内部流程",
        10,
        [w(ON_TIME_DOCS, 50), w(STRATEGY_ACHIEVED, 50)],
    ),
)

OBJECTIVES: dict[str, tuple[str, str]] = {
    # theme: (multi-year objective, the annual objective of each year)
    "履职成效": (
        "建成全市一体化政务服务体系，实现“一网通办、一窗综办”",
        "“一网通办”事项占比和“一件事一次办”集成服务扩面",
    ),
    "服务对象": ("打造“有呼必应、接诉即办”便民服务品牌", "热线按时办结和政务服务满意度双提升"),
    "内部流程": ("机关运转规范高效，重点工作闭环落实", "公文和督办事项按期办结"),
    "学习成长": ("建设数字机关和高素质专业化干部队伍", "数字机关建设和干部能力提升"),
    "资源保障": ("坚持过紧日子，机关运行成本持续下降", "一般性支出压减和节能降耗"),
}

# The goals of each department, by the department's name (sub-centres share one list, with
# {area} in titles). A department takes three to five of them.
DEPARTMENT_GOALS: dict[str, tuple[Spec, ...]] = {
    "办公室": (
        g(
            "gongwen",
            "公文按时办结率达到{t}%",
            "duban",
            25,
            [w(ON_TIME_DOCS, 60), w(DOC_DAYS, 40)],
            mine="本人经办公文按时办结率不低于{t}%",
        ),
        g(
            "gaizao",
            "办公楼改造和机关节能降耗",
            "cost",
            25,
            [
                k("办公楼改造工程形象进度", "%", 0, 80, 100, 100, w=60),
                k("单位面积能耗同比下降", "%", 0, 2, 4, 6, w=40),
            ],
            mine="落实节能降耗措施，配合办公楼改造",
            mine_krs=[k("分管区域能耗同比下降", "%", 0, 2, 4, 6)],
        ),
        g(
            "feiyong",
            "办公用品和公务用车费用压减",
            "cost",
            20,
            [w(SUPPLIES, 50), k("公务用车运行费用压减比例", "%", 0, 3, 5, 8, w=50)],
            mine="办公用品领用和费用台账准确",
            mine_krs=[k("台账差错", "次", 4, 2, 0, 0, lower=True)],
        ),
        g(
            "zhangshang",
            "机关办公系统“掌上办”，内部事项网上办理率达到{t}%",
            "digital",
            20,
            [ONLINE_INTERNAL],
            capacity=True,
            mine="完成本岗位业务上线“掌上办”",
            mine_krs=[k("本岗位事项网上办理率", "%", 50, 70, 90, 100)],
        ),
        g(
            "baozhang",
            "会务、接待和车辆保障满意度达到{t}分",
            "duban",
            15,
            [INTERNAL_SATISFACTION],
            mine="保障服务满意度不低于{t}分",
        ),
        g(
            "nengli",
            "办公室干部业务能力提升",
            "talent",
            10,
            [TRAINING_HOURS],
            capacity=True,
            mine="完成年度学习培训{t}学时",
        ),
    ),
    "政策法规科": (
        g(
            "hegui",
            "规范性文件合法性审核率达到{t}%",
            "duban",
            30,
            [k("规范性文件合法性审核率", "%", 96, 98, 100, 100)],
            mine="本人审核文件按时办结率{t}%",
            mine_krs=[k("审核文件按时办结率", "%", 95, 98, 100, 100)],
        ),
        g(
            "fuyi",
            "行政复议应诉案件依法按期办结",
            "duban",
            25,
            [
                k("行政复议案件按期办结率", "%", 95, 97, 100, 100, w=60),
                k("行政诉讼败诉率", "%", 5, 4, 2, 1, lower=True, w=40),
            ],
            mine="承办复议应诉案件按期办结",
        ),
        g(
            "biaozhun",
            "办事指南标准化率达到{t}%",
            "yiwang",
            25,
            [k("办事指南要素标准化率", "%", 80, 88, 95, 100)],
            mine="完成分工事项办事指南标准化",
        ),
        g(
            "pufa",
            "法治机关建设和普法学法",
            "talent",
            20,
            [k("干部学法考试参考率", "%", 92, 96, 100, 100)],
            capacity=True,
            mine="参加学法考试并完成普法任务",
        ),
    ),
    "政务服务科": (
        g(
            "yichuang",
            "综合窗口“一窗受理”事项占比达到{t}%",
            "yiwang",
            30,
            [k("“一窗受理”事项占比", "%", 70, 80, 90, 95)],
            mine="窗口受理“一次性告知”率不低于{t}%",
            mine_krs=[k("一次性告知率", "%", 95, 97, 99, 100)],
        ),
        g(
            "chaping",
            "“好差评”差评整改平均时长压减到{t}个工作日",
            "service",
            25,
            [
                FIX_DAYS,
            ],
            mine="本人经手差评按时整改",
            mine_krs=[k("差评按时整改率", "%", 90, 95, 100, 100)],
        ),
        g(
            "bangban",
            "重点项目帮办代办覆盖率达到{t}%",
            "yiwang",
            15,
            [k("重点项目帮办代办覆盖率", "%", 60, 75, 90, 100)],
            mine="完成帮办代办项目跟踪服务",
            mine_krs=[k("帮办代办项目按时办结率", "%", 90, 95, 100, 100)],
        ),
        g(
            "manyi",
            "窗口服务群众满意率达到{t}%",
            "service",
            15,
            [SATISFACTION],
            mine="个人服务群众满意率不低于{t}%",
        ),
        g(
            "quanke",
            "窗口人员“全科通办”能力提升",
            "talent",
            15,
            [k("综合窗口人员“全科通办”持证率", "%", 40, 55, 70, 85)],
            capacity=True,
            mine="取得“全科通办”上岗资格",
            mine_krs=[k("“全科通办”考核得分", "分", 70, 80, 90, 95)],
        ),
    ),
    "12345热线中心": (
        g(
            "banjie",
            "热线工单按时办结率达到{t}%",
            "hotline",
            30,
            [w(HOTLINE_ON_TIME, 60), w(HOTLINE_ACCEPT, 40)],
            mine="本人受理工单按时办结率不低于{t}%",
            mine_krs=[HOTLINE_ON_TIME],
        ),
        g(
            "chongban",
            "提高工单一次办结率，发回重办率降至{t}%",
            "hotline",
            20,
            [REWORK_DOWN],
            mine="本人派转工单发回重办率不高于{t}%",
        ),
        g(
            "zhijian",
            "严格工单质量审核，发回重办率不低于{t}%",
            "service",
            15,
            [REWORK_UP],
            conflict=True,
        ),
        g(
            "manyi",
            "热线群众满意率达到{t}%",
            "service",
            20,
            [SATISFACTION],
            mine="本人接听群众满意率不低于{t}%",
        ),
        g(
            "zhishiku",
            "热线知识库和智能辅助系统建设",
            "digital",
            15,
            [k("知识库问答命中率", "%", 70, 78, 85, 90)],
            capacity=True,
            mine="维护知识库条目，问答命中率达到{t}%",
        ),
        g(
            "peixun",
            "话务人员业务培训全覆盖",
            "talent",
            10,
            [k("话务人员人均参训学时", "学时", 40, 50, 60, 72)],
            capacity=True,
            mine="完成话务业务培训{t}学时",
        ),
    ),
    "审批管理科": (
        g(
            "shixian",
            "审批事项承诺时限压缩比例达到{t}%",
            "yiwang",
            30,
            [k("承诺时限较法定时限压缩比例", "%", 50, 55, 60, 70)],
            mine="本人经办审批事项按承诺时限办结",
            mine_krs=[k("承诺时限内办结率", "%", 95, 98, 100, 100)],
        ),
        g(
            "chacuo",
            "审批服务“零差错”",
            "service",
            25,
            [k("审批差错率", "‰", 3, 2, 1, 0.5, lower=True)],
            mine="本人审批差错率不高于{t}‰",
        ),
        g(
            "yijianshi",
            "“一件事一次办”集成服务事项达到{t}件",
            "yiwang",
            25,
            [k("“一件事一次办”集成服务事项", "件", 12, 20, 30, 36)],
            mine="牵头梳理“一件事”集成服务事项",
            mine_krs=[k("牵头梳理事项", "件", 1, 2, 3, 4)],
        ),
        g(
            "kancha",
            "现场勘验“一次到位”",
            "yiwang",
            20,
            [k("现场勘验一次通过率", "%", 80, 85, 92, 95)],
            mine="现场勘验一次通过率达到{t}%",
        ),
        g(
            "nengli",
            "审批人员业务能力提升",
            "talent",
            15,
            [SKILL_EXAM],
            capacity=True,
            mine="业务技能考试合格",
        ),
    ),
    "数据管理科": (
        g(
            "gongxiang",
            "政务数据共享平台二期上线，共享接口达到{t}个",
            "digital",
            35,
            [k("部门间数据共享接口", "个", 120, 160, 200, 240)],
            capacity=True,
            mine="完成分工数据接口开发和联调",
            mine_krs=[k("完成数据接口", "个", 5, 8, 12, 15)],
        ),
        g(
            "zhengzhao",
            "电子证照应用事项达到{t}项",
            "yiwang",
            30,
            [k("电子证照应用事项", "项", 150, 220, 300, 350)],
            mine="推动电子证照应用场景落地",
            mine_krs=[k("新增电子证照应用事项", "项", 5, 10, 15, 20)],
        ),
        g(
            "zhiliang",
            "数据质量问题整改率达到{t}%",
            "digital",
            20,
            [k("数据质量问题整改率", "%", 80, 88, 95, 100)],
            capacity=True,
            mine="负责数据资源目录质量整改",
        ),
        g(
            "yuebao",
            "“一网通办”数据分析月报按时报送",
            "duban",
            15,
            [k("月报按时报送率", "%", 90, 95, 100, 100)],
            mine="按时完成数据分析报告",
        ),
    ),
    "督查考核科": (
        g(
            "duban",
            "重点工作督办事项按期办结率达到{t}%",
            "duban",
            35,
            [k("督办事项按期办结率", "%", 90, 93, 96, 98)],
            mine="跟踪督办事项按期办结",
            mine_krs=[k("跟踪事项按期办结率", "%", 90, 93, 96, 98)],
        ),
        g(
            "dacheng",
            "战略目标加权达成率达到{t}%",
            "duban",
            25,
            [
                STRATEGY_ACHIEVED,
            ],
            mine="牵头年度目标分解和跟踪",
            mine_krs=[STRATEGY_COVERED],
        ),
        g(
            "gongshi",
            "绩效考核结果按时公示",
            "duban",
            20,
            [k("考核结果按时公示率", "%", 90, 95, 100, 100)],
            mine="按时完成考核数据汇总",
        ),
        g(
            "xinxihua",
            "绩效管理信息化：绩效数据自动采集比例达到{t}%",
            "digital",
            20,
            [k("绩效数据自动采集比例", "%", 30, 45, 60, 75)],
            capacity=True,
            mine="推进考核指标数据自动采集",
        ),
    ),
    "人事科": (
        g(
            "xueshi",
            "干部人均参训学时达到{t}学时",
            "talent",
            35,
            [TRAINING_HOURS],
            capacity=True,
            mine="组织完成年度干部培训班次",
            mine_krs=[k("组织培训班次", "个", 6, 8, 10, 12)],
        ),
        g(
            "dangan",
            "干部人事档案专项审核整改完成率达到{t}%",
            "duban",
            25,
            [k("档案专项审核整改完成率", "%", 85, 92, 100, 100)],
            mine="完成分工干部档案审核整改",
        ),
        g(
            "kaoshi",
            "业务技能考试合格率达到{t}%",
            "talent",
            20,
            [SKILL_EXAM],
            capacity=True,
            mine="组织业务技能考试",
        ),
        g(
            "kaohe",
            "年度考核和平时考核按时完成",
            "duban",
            20,
            [k("平时考核按季完成率", "%", 90, 95, 100, 100)],
            mine="按时完成平时考核汇总",
        ),
    ),
    "财务科": (
        g(
            "yasuo",
            "一般性支出压减{t}%",
            "cost",
            35,
            [k("一般性支出较上年压减比例", "%", 0, 3, 5, 7)],
            mine="审核支出，压减一般性支出",
            mine_krs=[k("支出审核差错", "次", 3, 2, 0, 0, lower=True)],
        ),
        g(
            "zhixing",
            "预算执行率达到{t}%",
            "cost",
            25,
            [k("预算执行率", "%", 85, 90, 95, 98)],
            mine="按时完成预算执行分析",
        ),
        g(
            "sangong",
            "“三公”经费较上年下降{t}%",
            "cost",
            20,
            [k("“三公”经费较上年下降比例", "%", 0, 2, 3, 5)],
            mine="落实“三公”经费管控",
        ),
        g(
            "yitihua",
            "预算管理一体化系统应用，电子化报销比例达到{t}%",
            "digital",
            20,
            [k("电子化报销比例", "%", 40, 60, 80, 90)],
            capacity=True,
            mine="推广电子化报销",
        ),
    ),
    "营商环境科": (
        g(
            "suqiu",
            "涉企诉求按时办结率达到{t}%",
            "service",
            35,
            [k("涉企诉求按时办结率", "%", 90, 94, 97, 99)],
            mine="本人承办涉企诉求按时办结率不低于{t}%",
        ),
        g(
            "paiming",
            "营商环境评价政务服务指标全省排名进入前{t}位",
            "yiwang",
            25,
            [k("政务服务指标全省排名", "位", 9, 7, 5, 3, lower=True)],
            mine="完成营商环境评价迎评材料",
            mine_krs=[k("迎评材料按时完成率", "%", 90, 95, 100, 100)],
        ),
        g(
            "mianshen",
            "惠企政策“免申即享”事项达到{t}项",
            "yiwang",
            20,
            [k("“免申即享”事项", "项", 10, 20, 30, 40)],
            mine="梳理“免申即享”政策事项",
            mine_krs=[k("梳理政策事项", "项", 2, 4, 6, 8)],
        ),
        g(
            "guancha",
            "营商环境观察员队伍建设",
            "talent",
            20,
            [k("观察员走访企业", "家", 60, 90, 120, 150)],
            capacity=True,
            mine="走访企业收集意见",
            mine_krs=[k("走访企业", "家", 10, 15, 20, 25)],
        ),
    ),
    "机关党委": (
        g(
            "sanhui",
            "“三会一课”按期开展率达到{t}%",
            "duban",
            30,
            [k("“三会一课”按期开展率", "%", 95, 98, 100, 100)],
            mine="按期组织支部“三会一课”",
        ),
        g(
            "lianzheng",
            "党风廉政教育全覆盖",
            "talent",
            25,
            [k("廉政教育覆盖率", "%", 90, 95, 100, 100)],
            capacity=True,
            mine="组织廉政教育活动",
        ),
        g(
            "zuofeng",
            "作风建设：属实投诉率降至{t}‰",
            "service",
            25,
            [COMPLAINTS],
            mine="受理作风投诉线索并按时核查",
            mine_krs=[k("线索按时核查率", "%", 90, 95, 100, 100)],
        ),
        g(
            "qingnian",
            "青年干部培养：轮岗交流{t}人",
            "talent",
            20,
            [k("青年干部轮岗交流", "人", 4, 6, 8, 10)],
            capacity=True,
            mine="组织青年理论学习小组活动",
            mine_krs=[k("组织学习活动", "次", 6, 9, 12, 15)],
        ),
    ),
    SUBCENTRE_SUFFIX: (
        g(
            "jinzhu",
            "{area}片区“一网通办”事项进驻率达到{t}%",
            "yiwang",
            30,
            [k("“一网通办”事项进驻率", "%", 80, 88, 95, 98)],
            mine="窗口受理“一次性告知”率不低于{t}%",
            mine_krs=[k("一次性告知率", "%", 95, 97, 99, 100)],
        ),
        g(
            "manyi",
            "{area}窗口服务群众满意率达到{t}%",
            "service",
            25,
            [SATISFACTION],
            mine="个人服务群众满意率不低于{t}%",
        ),
        g(
            "chaping",
            "{area}差评整改平均时长压减到{t}个工作日",
            "service",
            20,
            [FIX_DAYS],
            mine="本人经手差评按时整改",
            mine_krs=[k("差评按时整改率", "%", 90, 95, 100, 100)],
        ),
        g(
            "zizhu",
            "“就近办”：自助服务终端覆盖{area}社区比例达到{t}%",
            "digital",
            15,
            [k("自助服务终端社区覆盖率", "%", 40, 60, 80, 90)],
            capacity=True,
            mine="指导群众使用自助终端",
            mine_krs=[k("指导群众自助办理", "件", 200, 300, 400, 500)],
        ),
        g(
            "quanke",
            "{area}窗口人员“全科通办”能力提升",
            "talent",
            10,
            [k("综合窗口人员“全科通办”持证率", "%", 40, 55, 70, 85)],
            capacity=True,
            mine="取得“全科通办”上岗资格",
            mine_krs=[k("“全科通办”考核得分", "分", 70, 80, 90, 95)],
        ),
    ),
}

# The goals of the departments the demo accounts look at most: the office (the `head` and
# `employee` accounts, its renovation project) and the hotline (whose own goals push the
# rework rate both ways, a deliberate conflict). Their weights are the specs' and add up to 100.
FIXED_DEPARTMENT_GOALS: dict[str, tuple[str, ...]] = {
    "办公室": ("gongwen", "gaizao", "feiyong", "zhangshang", "nengli"),
    "12345热线中心": ("banjie", "chongban", "zhijian", "zhishiku", "manyi"),
}

# The office's sections carry goals of their own, aligned to the office's.
SECTION_GOALS: dict[str, tuple[Spec, ...]] = {
    "文秘科": (
        g(
            "gongwen",
            "公文按时办结率达到{t}%",
            "gongwen",
            40,
            [ON_TIME_DOCS],
            mine="本人经办公文按时办结率不低于{t}%",
        ),
        g(
            "wengao",
            "重要文稿按时保质完成",
            "gongwen",
            35,
            [k("重要文稿按时完成率", "%", 90, 95, 100, 100)],
            mine="按时完成交办文稿起草",
        ),
        g(
            "dangan",
            "文书档案数字化完成率达到{t}%",
            "zhangshang",
            25,
            [k("档案数字化完成率", "%", 40, 60, 80, 90)],
            capacity=True,
            mine="完成分管年度档案数字化整理",
        ),
    ),
    "会务科": (
        g(
            "manyi",
            "会务服务满意度达到{t}分",
            "baozhang",
            50,
            [INTERNAL_SATISFACTION],
            mine="会务服务满意度不低于{t}分",
        ),
        g(
            "yuyue",
            "会议室线上预约率达到{t}%",
            "zhangshang",
            30,
            [k("会议室线上预约率", "%", 50, 70, 90, 95)],
            capacity=True,
            mine="推广会议室线上预约",
        ),
        g(
            "jiedai",
            "公务接待严格执行标准",
            "feiyong",
            20,
            [k("超标准接待", "次", 1, 1, 0, 0, lower=True)],
            mine="接待清单登记完整",
            mine_krs=[k("接待清单完整率", "%", 95, 98, 100, 100)],
        ),
    ),
    "后勤保障科": (
        g(
            "gaizao",
            "办公楼改造工程按期完工",
            "gaizao",
            45,
            [k("办公楼改造工程形象进度", "%", 0, 80, 100, 100)],
            mine="做好改造现场协调和安全管理",
            mine_krs=[k("现场安全隐患整改率", "%", 90, 95, 100, 100)],
        ),
        g(
            "baoxiu",
            "设施报修按时修复率达到{t}%",
            "gaizao",
            30,
            [k("报修按时修复率", "%", 88, 92, 96, 99)],
            mine="本人承接报修按时修复率不低于{t}%",
        ),
        g(
            "yanlian",
            "安全应急演练和技能培训",
            "nengli",
            25,
            [k("应急演练和培训", "次", 2, 3, 4, 6)],
            capacity=True,
            mine="参加应急演练和技能培训",
            mine_krs=[k("参加演练和培训", "次", 1, 2, 3, 4)],
        ),
    ),
    "物资管理科": (
        g(
            "xiaohao",
            "办公用品单位工作量消耗降至{t}元/件",
            "feiyong",
            45,
            [SUPPLIES],
            mine="物资出入库台账准确",
            mine_krs=[k("台账差错", "次", 4, 2, 0, 0, lower=True)],
        ),
        g(
            "zichan",
            "固定资产账实相符率达到{t}%",
            "feiyong",
            35,
            [k("资产账实相符率", "%", 97, 98, 100, 100)],
            mine="完成分管资产盘点",
        ),
        g(
            "xitong",
            "资产管理系统数据治理",
            "zhangshang",
            20,
            [k("资产卡片信息完整率", "%", 80, 88, 95, 100)],
            capacity=True,
            mine="补齐资产卡片信息",
        ),
    ),
    "车辆管理科": (
        g(
            "feiyong",
            "公务用车运行费用压减{t}%",
            "feiyong",
            50,
            [k("公务用车运行费用压减比例", "%", 0, 3, 5, 8)],
            mine="单车油耗和维修费用下降",
            mine_krs=[k("单车运行费用下降", "%", 0, 2, 4, 6)],
        ),
        g(
            "anquan",
            "行车安全和派车准时",
            "baozhang",
            30,
            [k("派车准时率", "%", 95, 97, 99, 100)],
            mine="安全驾驶，出车准时",
        ),
        g(
            "diaodu",
            "公务用车线上调度",
            "zhangshang",
            20,
            [k("线上派车率", "%", 60, 75, 90, 100)],
            capacity=True,
            mine="使用线上派车系统",
        ),
    ),
    "信息化科": (
        g(
            "wangban",
            "内部事项网上办理率达到{t}%",
            "zhangshang",
            45,
            [ONLINE_INTERNAL],
            capacity=True,
            mine="完成分工业务系统上线",
            mine_krs=[k("上线业务事项", "项", 2, 4, 6, 8)],
        ),
        g(
            "guzhang",
            "信息化故障按时处置率达到{t}%",
            "baozhang",
            35,
            [k("故障按时处置率", "%", 90, 94, 97, 99)],
            mine="本人受理故障按时处置率不低于{t}%",
        ),
        g(
            "dengbao",
            "网络安全等级保护测评达标",
            "zhangshang",
            20,
            [k("等级保护测评得分", "分", 75, 80, 85, 90)],
            capacity=True,
            mine="完成安全巡检和漏洞整改",
            mine_krs=[k("漏洞按时整改率", "%", 90, 95, 100, 100)],
        ),
    ),
}

# The unit goals each leader answers for, in the order of the 局领导.
LEADER_PORTFOLIOS: tuple[tuple[str, ...], ...] = (
    ("duban", "yiwang", "hotline", "talent"),
    ("yiwang", "service", "duban"),
    ("hotline", "digital", "service"),
    ("duban", "cost", "service"),
    ("talent", "duban", "service"),
)

# The deliberate personal conflicts: one indicator pushed both ways by one person.
PERSONAL_CONFLICTS: dict[str, tuple[Spec, Spec]] = {
    "办公室": (
        g("c_down", "公文办理平均时长压减到{t}个工作日", "gongwen", 50, [DOC_DAYS]),
        g(
            "c_up",
            "公文审核严格把关，审核办理时长不少于{t}个工作日",
            "gongwen",
            50,
            [k("公文办理平均时长（收文至归档）", "工作日", 3, 3.5, 4, 4.5, ind="XL-01")],
        ),
    ),
    "12345热线中心": (
        g("c_down", "本人派转工单发回重办率不高于{t}%", "chongban", 50, [REWORK_DOWN]),
        g("c_up", "工单质检严格把关，发回重办率不低于{t}%", "banjie", 50, [REWORK_UP]),
    ),
}

WINDOW_TEMPLATE_KRS = (
    k("一次性告知率", "%", 95, 97, 99, 100, w=50),
    k("受理差错率", "%", 1.5, 1.0, 0.5, 0.2, lower=True, w=30),
    w(SATISFACTION, 20),
)
TRAINING_KR = k("年度参训学时", "学时", 0, 40, 60, 80)

WENT_WELL = (
    "按计划推进，阶段任务均已完成。",
    "本月办件量上升，按时办结率保持稳定。",
    "与相关科室协同顺畅，问题当场解决。",
    "新流程试运行效果好，群众反映办事更快了。",
    "完成了季度培训，业务熟练度提高。",
    "台账已全部更新，数据核对无误。",
)
BLOCKED = (
    "",
    "",
    "系统接口联调延期，部分数据需手工录入。",
    "人员请假较多，窗口排班紧张。",
    "上级系统升级，部分事项暂停网上办理。",
    "供应商交付延迟，等待设备到货。",
    "跨部门材料共享尚未打通，需协调。",
)
NEXT_STEPS = (
    "下月完成剩余事项梳理。",
    "跟进差评整改，逐件回访。",
    "组织一次业务复盘会。",
    "协调信息化科解决接口问题。",
    "按计划推进，月底前提交阶段总结。",
    "对照目标查漏补缺，确保年底达成。",
)
COMMENTS = (
    "进展不错，注意数据留痕。",
    "请重点关注滞后事项，下次面谈时一起分析原因。",
    "同意下一步安排，需要协调的事情及时报告。",
    "这项工作要和科室目标对齐，注意时间节点。",
)
RETURN_COMMENTS = (
    "目标值偏低，请参照部门目标适当提高后重新提交。",
    "关键结果表述不够具体，请写明统计口径和数据来源。",
    "权重分配不合理，请把主要精力放在核心业务目标上。",
)

# Work plans: (department, goal key, kind, title, owner role, plan (start, end) as month/day,
# budget, planned days, cost factor, milestones (title, due month/day, share %, late)).
Milestones = tuple[tuple[str, tuple[int, int], int, bool], ...]


@dataclass(frozen=True, slots=True)
class WorkSpec:
    department: str
    goal: str
    kind: str
    title: str
    owner: str  # "head", "deputy", a section's name (its chief) or "staff"
    start: tuple[int, int]
    end: tuple[int, int]
    budget: int | None
    days: int | None = None
    cost_factor: float = 0.95
    milestones: Milestones = ()


PROJECT = WorkItemKind.PROJECT
TASK = WorkItemKind.TASK
WORK_PLANS: tuple[WorkSpec, ...] = (
    WorkSpec(
        "办公室",
        "gaizao",
        PROJECT,
        "办公楼改造工程",
        "后勤保障科",
        (3, 1),
        (11, 30),
        1_860_000,
        cost_factor=1.12,
        milestones=(
            ("改造方案设计和预算评审", (3, 31), 10, False),
            ("施工招标", (4, 30), 10, False),
            ("主体施工（一至三层）", (7, 31), 35, False),
            ("主体施工（四至六层）", (9, 30), 25, True),
            ("消防和节能验收", (11, 15), 10, True),
            ("竣工结算和搬迁", (12, 20), 10, False),
        ),
    ),
    WorkSpec(
        "办公室",
        "zhangshang",
        PROJECT,
        "会议室智能化改造",
        "信息化科",
        (4, 1),
        (9, 30),
        320_000,
        milestones=(
            ("需求调研", (4, 30), 20, False),
            ("设备采购安装", (7, 31), 50, False),
            ("联调验收", (9, 30), 30, True),
        ),
    ),
    WorkSpec(
        "办公室", "feiyong", TASK, "公务用车更新（新能源）", "车辆管理科", (5, 1), (10, 31), 450_000
    ),
    WorkSpec(
        "办公室", "gongwen", TASK, "年度工作总结和材料汇编", "staff", (10, 1), (12, 31), None, 60
    ),
    WorkSpec(
        "办公室", "gaizao", TASK, "改造期间临时办公协调", "staff", (3, 1), (11, 30), None, 120
    ),
    WorkSpec(
        "办公室",
        "zhangshang",
        TASK,
        "文书档案数字化（2015—2020年）",
        "staff",
        (2, 15),
        (11, 30),
        None,
        90,
    ),
    WorkSpec(
        "12345热线中心",
        "zhishiku",
        PROJECT,
        "热线智能语音质检系统",
        "deputy",
        (3, 1),
        (12, 31),
        1_200_000,
        milestones=(
            ("需求和招标", (4, 30), 20, False),
            ("系统部署", (8, 31), 50, False),
            ("试运行和验收", (12, 15), 30, False),
        ),
    ),
    WorkSpec(
        "12345热线中心",
        "zhishiku",
        PROJECT,
        "热线知识库升级",
        "head",
        (2, 1),
        (8, 31),
        600_000,
        milestones=(
            ("知识条目梳理", (4, 30), 40, False),
            ("新知识库上线", (8, 31), 60, True),
        ),
    ),
    WorkSpec(
        "数据管理科",
        "gongxiang",
        PROJECT,
        "政务数据共享平台二期",
        "head",
        (3, 1),
        (12, 31),
        1_500_000,
        milestones=(
            ("接口规范发布", (4, 15), 15, False),
            ("首批40个接口上线", (7, 31), 35, False),
            ("全部接口联调", (11, 30), 35, False),
            ("项目验收", (12, 31), 15, False),
        ),
    ),
    WorkSpec(
        "政务服务科",
        "manyi",
        PROJECT,
        "政务服务大厅适老化改造",
        "head",
        (4, 1),
        (10, 31),
        500_000,
        milestones=(
            ("方案设计", (4, 30), 20, False),
            ("施工", (8, 31), 60, False),
            ("验收", (10, 31), 20, False),
        ),
    ),
    WorkSpec(
        "政务服务科",
        "yichuang",
        TASK,
        "“一窗受理”事项清单梳理",
        "staff",
        (1, 15),
        (4, 30),
        None,
        40,
    ),
    WorkSpec("人事科", "xueshi", TASK, "年度干部教育培训", "head", (3, 1), (11, 30), 380_000),
    WorkSpec("财务科", "yitihua", TASK, "预算管理一体化系统上线", "head", (2, 1), (6, 30), 150_000),
)
DEPARTMENT_BUDGETS: dict[str, int] = {
    "办公室": 2_400_000,  # plans 2,630,000: over budget
    "12345热线中心": 3_000_000,
    "数据管理科": 2_000_000,
    "政务服务科": 800_000,
    "人事科": 600_000,
    "财务科": 300_000,
}


# ---------------------------------------------------------------- helpers


def _round(value: float, unit: str) -> float:
    return float(round(value)) if unit in INTEGER_UNITS else round(value, 2)


def _number(value: float) -> str:
    """A target as written in a title: 95, 99.5, 2.8."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _title(template: str, krs: Sequence[KR], area: str = "") -> str:
    target = _number(krs[0].target) if krs else ""
    return template.replace("{t}", target).replace("{area}", area)


def split_100(
    raw: Sequence[float], *, total: int = 100, step: int = 5, minimum: int = 5
) -> list[int]:
    """Whole weights in steps of `step`, at least `minimum` each, summing to `total`, in
    proportion to `raw` (largest remainder)."""
    n = len(raw)
    if n == 0:
        return []
    units = total // step
    floor = max(1, minimum // step)
    spare = units - floor * n
    if spare < 0:
        raise ValueError("too many goals for the minimum weight")
    whole = float(sum(raw)) or 1.0
    shares = [spare * r / whole for r in raw]
    parts = [int(s) for s in shares]
    order = sorted(range(n), key=lambda i: (parts[i] - shares[i], i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [(floor + p) * step for p in parts]


def _below(rng: random.Random, n: int) -> int:
    """A whole number from 0 to n − 1 (cheaper than randrange, which the hot loops felt)."""
    return int(rng.random() * n)


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[int(rng.random() * len(options))]


def _clip(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


@dataclass(slots=True)
class OrgDept:
    id: int
    parent: int | None
    depth: int
    name: str
    kind: str
    path: str


@dataclass(slots=True)
class OrgPerson:
    id: int
    dept: int
    post: str
    leading: bool
    superior: int | None
    is_active: bool
    status: str
    status_since: datetime.date | None
    hire_date: datetime.date | None
    user: int | None
    name: str
    role: str = "staff"  # "leader", "head" (heads and deputies), "chief", "staff"


@dataclass(slots=True)
class Planned:
    """A unit or department goal of the plan, for the goals below it to align to."""

    id: int
    spec: Spec
    weight: int
    unit_key: str
    title: str
    krs: tuple[KR, ...]  # as planned for its year


@dataclass
class GoalsDemoResult:
    goals: int
    key_results: int
    checkins: int
    work_items: int
    seconds: float
    recompute_seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"演示目标已生成 / demo goals built: {self.goals} 个目标 goals, "
            f"{self.key_results} 个关键结果 key results, {self.checkins} 次进展更新 check-ins, "
            f"{self.work_items} 项工作计划 work items ({self.seconds:.1f} s)"
        )


GOAL_COLUMNS = (
    "id",
    "level",
    "department",
    "person",
    "period",
    "period_kind",
    "period_start",
    "period_end",
    "title",
    "description",
    "objective",
    "parent",
    "weight",
    "horizon",
    "due_date",
    "status",
    "outcome",
    "outcome_note",
    "progress_mode",
    "checkin_cadence",
    "last_checkin_at",
    "template",
    "submitted_at",
    "submitted_by",
    "approved_at",
    "approved_by",
    "locked_at",
    "closed_at",
    "closed_by",
    "version",
    "created_at",
    "created_by",
    "updated_at",
)
KR_COLUMNS = (
    "id",
    "goal",
    "position",
    "title",
    "indicator",
    "unit",
    "direction",
    "baseline",
    "threshold",
    "target",
    "stretch",
    "weight",
    "source",
    "current",
    "current_at",
)
CHECKIN_COLUMNS = (
    "id",
    "goal",
    "author",
    "author_label",
    "at",
    "percent",
    "confidence",
    "went_well",
    "blocked",
    "next_steps",
)
VALUE_COLUMNS = ("checkin", "key_result", "value")
COMMENT_COLUMNS = ("checkin", "author", "author_label", "at", "text")
VERSION_OF: dict[str, int] = {
    GoalStatus.DRAFT: 1,
    GoalStatus.SUBMITTED: 2,
    GoalStatus.RETURNED: 3,
    GoalStatus.APPROVED: 3,
    GoalStatus.LOCKED: 4,
    GoalStatus.CLOSED: 5,
}
APPROVED_OR_LATER = (GoalStatus.APPROVED, GoalStatus.LOCKED, GoalStatus.CLOSED)
SUBMITTED_OR_LATER = (GoalStatus.SUBMITTED, GoalStatus.RETURNED, *APPROVED_OR_LATER)
CREATED_AFTER: dict[str, int] = {GoalLevel.UNIT: 3, GoalLevel.DEPARTMENT: 12, GoalLevel.PERSON: 25}
SMART_DEFECTS = ("no_measure", "no_deadline", "zero_weight", "no_target")


def _next_id(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1


def delete_goals() -> None:
    """Delete all goal data (TRUNCATE, or set-based DELETEs children first). Audit records
    stay."""
    models: tuple[type[Model], ...] = (
        CheckInComment,
        CheckInValue,
        CheckIn,
        ActionItem,
        PrivateNote,
        OneOnOne,
        Milestone,
        WorkItem,
        Evidence,
        ChangeRequest,
        GoalSupport,
        KeyResult,
        ConflictAcknowledgement,
        Goal,
        TemplateKeyResult,
        GoalTemplate,
        DepartmentBudget,
        PlanningPolicy,
        StrategicObjective,
        StrategicTheme,
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE skips the foreign-key checks that DELETE queues for every row (a
            # minute at 500,000 goals); it fails if another app's table refers to these.
            try:
                with transaction.atomic():
                    cursor.execute("TRUNCATE " + ", ".join(quote(m._meta.db_table) for m in models))
                return
            except DatabaseError:
                pass
        for model in models:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")


def goals_exist() -> bool:
    return Goal.objects.exists() or StrategicTheme.objects.exists()


# ---------------------------------------------------------------- the builder


class _Builder:
    def __init__(self, seed: int, today: datetime.date) -> None:
        self.rng = random.Random(seed * 7919 + 4)
        self.today = today
        self.year = today.year
        self.prev = today.year - 1
        # One fixed offset for all the timestamps: comparing datetimes that share a tzinfo
        # object skips the zone arithmetic, which was a third of the time of planning.
        self.tz = datetime.timezone(timezone.localtime().utcoffset() or datetime.timedelta())
        self.latest = timezone.now().astimezone(self.tz)
        postgres = connection.vendor == "postgresql"
        ops = connection.ops
        self.d = (lambda v: v) if postgres else ops.adapt_datefield_value
        self.dt = (lambda v: v) if postgres else ops.adapt_datetimefield_value
        self.goals: list[tuple[Any, ...]] = []
        self.krs: list[tuple[Any, ...]] = []
        self.checkins: list[tuple[Any, ...]] = []
        self.values: list[tuple[Any, ...]] = []
        self.comments: list[tuple[Any, ...]] = []
        self.returned: list[tuple[int, str, str, str, int | None, str]] = []
        self.goal_id = _next_id(Goal)
        self.kr_id = _next_id(KeyResult)
        self.checkin_id = _next_id(CheckIn)
        self.unit_goals: dict[int, dict[str, Planned]] = {}
        self.dept_goals: dict[tuple[int, int], list[Planned]] = {}
        self.statuses: dict[str, int] = defaultdict(int)
        self.window_template: int | None = None
        self.period_bounds = {
            y: (datetime.date(y, 1, 1), datetime.date(y, 12, 31)) for y in (self.prev, self.year)
        }

    # -- reading the organization

    def read_org(self) -> None:
        self.depts: dict[int, OrgDept] = {
            r[0]: OrgDept(*r)
            for r in Department.objects.filter(is_active=True)
            .order_by("depth", "code")  # not by path or id: the same order after a rebuild
            .values_list("id", "parent_id", "depth", "name", "kind", "path")
        }
        self.unit = next(d for d in self.depts.values() if d.kind == DepartmentKind.UNIT)
        rows = Person.objects.order_by("id").values_list(
            "id",
            "department_id",
            "post__name",
            "post__category",
            "superior_id",
            "is_active",
            "status",
            "status_since",
            "hire_date",
            "user_id",
            "name",
        )
        self.people: list[OrgPerson] = [
            OrgPerson(r[0], r[1], r[2] or "", r[3] == PostCategory.LEADERSHIP, *r[4:])
            for r in rows
            if r[1] in self.depts
        ]
        self.person_by_id = {p.id: p for p in self.people}
        leadership = {d.id for d in self.depts.values() if d.name == LEADERSHIP and d.depth == 1}
        for p in self.people:
            depth = self.depts[p.dept].depth
            if p.dept in leadership:
                p.role = "leader"
            elif p.leading and depth == 1:
                p.role = "head"
            elif p.leading:
                p.role = "chief"
        self.heads: dict[int, OrgPerson] = {}
        self.deputies: dict[int, OrgPerson] = {}
        self.chiefs: dict[int, OrgPerson] = {}
        for p in self.people:
            if p.role == "head":
                superior = self.person_by_id.get(p.superior or 0)
                if superior is not None and superior.role == "head":
                    self.deputies.setdefault(p.dept, p)
                else:
                    self.heads.setdefault(p.dept, p)
            elif p.role == "chief":
                self.chiefs.setdefault(p.dept, p)
        self.leaders = [p for p in self.people if p.role == "leader"]
        users = dict(User.objects.values_list("username", "id"))
        self.user_leader = users.get("leader")
        self.user_head = users.get("head")
        self.user_perfadmin = users.get("perfadmin")
        employee_user = users.get("employee")
        self.employee = next((p for p in self.people if p.user and p.user == employee_user), None)
        head_user_person = next(
            (p for p in self.people if p.user and p.user == self.user_head), None
        )
        self.office = head_user_person.dept if head_user_person else None
        perfadmin = next((p for p in self.people if p.user and p.user == self.user_perfadmin), None)
        self.perfadmin_label = perfadmin.name if perfadmin else "perfadmin"
        self.indicators = dict(Indicator.objects.filter(is_latest=True).values_list("code", "id"))

    def top(self, dept_id: int) -> OrgDept:
        """The department (depth 1) a section belongs to, or the department itself."""
        d = self.depts[dept_id]
        while d.depth > 1 and d.parent is not None:
            d = self.depts[d.parent]
        return d

    def in_office(self, dept_id: int) -> bool:
        return self.office is not None and self.depts[dept_id].path.startswith(
            self.depts[self.office].path
        )

    @staticmethod
    def is_subcentre(d: OrgDept) -> bool:
        return d.name.endswith(SUBCENTRE_SUFFIX)

    # -- dates

    def clamp(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)

    def moment(self, day: datetime.date) -> datetime.datetime:
        """Some time of the working day on `day`, never later than now."""
        minute = int(self.rng.random() * 540)
        at = datetime.datetime.combine(
            self.clamp(day),
            datetime.time(8 + minute // 60, minute % 60),
            tzinfo=self.tz,
        )
        return min(at, self.latest)

    def share(self, day: datetime.date, year: int) -> float:
        start, end = self.period_bounds[year]
        if day <= start:
            return 1 / 365
        return min(1.0, ((day - start).days + 1) / ((end - start).days + 1))

    # -- strategy, templates, policy

    def strategy(self) -> dict[tuple[int, str], int]:
        """Themes, multi-year and annual objectives; the annual objective id by (year, theme)."""
        themes = StrategicTheme.objects.bulk_create(
            [
                StrategicTheme(
                    unit_id=self.unit.id,
                    name=name,
                    description=description,
                    is_capacity_building=capacity,
                    sort_order=i,
                )
                for i, (name, description, capacity) in enumerate(DEFAULT_THEMES)
            ]
        )
        by_name = {t.name: t for t in themes}
        multi = StrategicObjective.objects.bulk_create(
            [
                StrategicObjective(
                    unit_id=self.unit.id,
                    theme=by_name[name],
                    code=f"ZL-{i + 1}",
                    title=titles[0],
                    start_year=self.prev,
                    end_year=self.prev + 4,
                )
                for i, (name, titles) in enumerate(OBJECTIVES.items())
                if name in by_name
            ]
        )
        annual = StrategicObjective.objects.bulk_create(
            [
                StrategicObjective(
                    unit_id=self.unit.id,
                    theme=m.theme,
                    parent=m,
                    code=f"{m.code}-{year}",
                    title=f"{year}年度：{OBJECTIVES[m.theme.name][1]}",
                    start_year=year,
                    end_year=year,
                )
                for year in (self.prev, self.year)
                for m in multi
            ]
        )
        PlanningPolicy.objects.bulk_create(
            [PlanningPolicy(unit_id=self.unit.id, min_capacity_share=MIN_CAPACITY_SHARE)]
        )
        return {(o.start_year, o.theme.name): o.pk for o in annual}

    def templates(self) -> None:
        window, training = GoalTemplate.objects.bulk_create(
            [
                GoalTemplate(
                    name=WINDOW_TEMPLATE,
                    title="窗口受理“一次性告知”和按时流转",
                    description="适用于综合窗口受理岗：一次性告知所需材料，按时限录入流转，"
                    "首问负责。",
                    horizon=Horizon.OUTPUT,
                    weight=Decimal(30),
                    period_kind=PeriodKind.YEAR,
                    checkin_cadence=CheckInCadence.MONTHLY,
                    created_by_id=self.user_perfadmin,
                ),
                GoalTemplate(
                    name=TRAINING_TEMPLATE,
                    title="完成年度学习培训",
                    description="全员适用：参加局组织的业务培训和在线学习。",
                    horizon=Horizon.CAPACITY,
                    weight=Decimal(10),
                    period_kind=PeriodKind.YEAR,
                    checkin_cadence=CheckInCadence.QUARTERLY,
                    created_by_id=self.user_perfadmin,
                ),
            ]
        )
        TemplateKeyResult.objects.bulk_create(
            [
                TemplateKeyResult(template=t, position=i, **self.kr_fields(kr))
                for t, krs in ((window, WINDOW_TEMPLATE_KRS), (training, (TRAINING_KR,)))
                for i, kr in enumerate(krs)
            ]
        )
        self.window_template = window.pk

    def kr_fields(self, kr: KR) -> dict[str, Any]:
        return {
            "title": kr.title,
            "indicator_id": self.indicators.get(kr.indicator) if kr.indicator else None,
            "unit": kr.unit,
            "direction": Direction.LOWER if kr.lower else Direction.HIGHER,
            "baseline": Decimal(str(kr.baseline)),
            "threshold": Decimal(str(kr.threshold)),
            "target": Decimal(str(kr.target)),
            "stretch": Decimal(str(kr.stretch)),
            "weight": Decimal(kr.weight),
        }

    # -- one goal

    def add_goal(
        self,
        *,
        level: str,
        dept: OrgDept,
        person: OrgPerson | None,
        year: int,
        title: str,
        krs: Sequence[KR],
        weight: int,
        horizon: str,
        parent: int | None,
        status: str,
        creator: int | None,
        approver: int | None,
        author: tuple[int | None, str],
        pace: float,
        checkins: int,
        objective: int | None = None,
        template: int | None = None,
        defect: str = "",
        cadence: str = CheckInCadence.MONTHLY,
        commenter: tuple[int | None, str] | None = None,
        return_comment: str = "",
        monthly: bool = False,
    ) -> int:
        rng = self.rng
        gid = self.goal_id
        self.goal_id += 1
        start, end = self.period_bounds[year]
        current = year == self.year
        # When things happened, as the workflow would have stamped them.
        offset = CREATED_AFTER[level]
        created_day = start + datetime.timedelta(days=offset + _below(rng, 20))
        if person is not None and person.hire_date and person.hire_date > created_day:
            created_day = person.hire_date + datetime.timedelta(days=3 + _below(rng, 12))
        pending = status in (GoalStatus.SUBMITTED, GoalStatus.RETURNED) and current
        if pending:
            submitted_day = self.today - datetime.timedelta(days=2 + _below(rng, 20))
            created_day = min(created_day, submitted_day)
        else:
            submitted_day = created_day + datetime.timedelta(days=2 + _below(rng, 9))
        approved_day = submitted_day + datetime.timedelta(days=1 + _below(rng, 6))
        locked_day = max(datetime.date(year, 3, 31), approved_day)
        created_at = self.moment(created_day)
        submitted_at = approved_at = locked_at = closed_at = None
        if status in SUBMITTED_OR_LATER:
            submitted_at = max(self.moment(submitted_day), created_at)
        if status in APPROVED_OR_LATER:
            assert submitted_at is not None
            approved_at = max(self.moment(approved_day), submitted_at)
        if status in (GoalStatus.LOCKED, GoalStatus.CLOSED):
            assert approved_at is not None
            locked_at = max(self.moment(locked_day), approved_at)
        if status == GoalStatus.CLOSED:
            assert locked_at is not None
            closed_day = datetime.date(year + 1, 1, 8) + datetime.timedelta(days=_below(rng, 18))
            closed_at = max(self.moment(closed_day), locked_at)
        due = None if defect == "no_deadline" else end

        # Key results, and their values from the check-ins.
        kr_rows: list[list[Any]] = []
        for position, kr in enumerate(krs):
            no_target = defect == "no_target" and position == 0
            kr_rows.append(
                [
                    self.kr_id,
                    gid,
                    position,
                    kr.title,
                    self.indicators.get(kr.indicator) if kr.indicator else None,
                    kr.unit,
                    Direction.LOWER if kr.lower else Direction.HIGHER,
                    kr.baseline,
                    None if no_target else kr.threshold,
                    None if no_target else kr.target,
                    None if no_target else kr.stretch,
                    kr.weight,
                    KeyResultSource.MANUAL,
                    None,
                    None,
                ]
            )
            self.kr_id += 1
        last_at = None
        if status in APPROVED_OR_LATER and checkins > 0 and krs:
            assert approved_at is not None
            last_at = self.add_checkins(
                gid,
                year,
                krs,
                kr_rows,
                approved_at,
                pace,
                checkins,
                author,
                commenter,
                monthly,
            )
        self.krs.extend(tuple(r) for r in kr_rows)
        updated = max(
            x
            for x in (created_at, submitted_at, approved_at, locked_at, closed_at, last_at)
            if x is not None
        )
        d, dt = self.d, self.dt
        self.goals.append(
            (
                gid,
                level,
                dept.id,
                person.id if person is not None else None,
                str(year),
                PeriodKind.YEAR,
                d(start),
                d(end),
                title[:200],
                "",
                objective,
                parent,
                weight,
                horizon,
                d(due),
                status,
                GoalOutcome.PARTIAL if status == GoalStatus.CLOSED else "",
                "",
                ProgressMode.AUTO,
                cadence,
                dt(last_at),
                template,
                dt(submitted_at),
                creator if submitted_at else None,
                dt(approved_at),
                approver if approved_at else None,
                dt(locked_at),
                dt(closed_at),
                approver if closed_at else None,
                VERSION_OF[status],
                dt(created_at),
                creator,
                dt(updated),
            )
        )
        self.statuses[f"{level}:{status}"] += 1
        if status == GoalStatus.RETURNED:
            approver_name = (
                self.person_by_id[person.superior].name
                if person is not None and person.superior in self.person_by_id
                else "绩效办"
            )
            self.returned.append(
                (
                    gid,
                    title,
                    dept.path,
                    return_comment or RETURN_COMMENTS[0],
                    approver,
                    approver_name,
                )
            )
        return gid

    def add_checkins(
        self,
        goal_id: int,
        year: int,
        krs: Sequence[KR],
        kr_rows: list[list[Any]],
        approved_at: datetime.datetime,
        pace: float,
        count: int,
        author: tuple[int | None, str],
        commenter: tuple[int | None, str] | None,
        monthly: bool,
    ) -> datetime.datetime | None:
        """Check-ins from after the approval to recently; the key results take the values of
        the latest. Returns the time of the latest."""
        rng = self.rng
        first = approved_at.date() + datetime.timedelta(days=14)
        if year == self.year:
            last = self.today - datetime.timedelta(days=1 + _below(rng, 35))
        else:
            last = datetime.date(year, 12, 15) + datetime.timedelta(days=_below(rng, 12))
        if last < first:
            return None
        if monthly:
            days = [
                datetime.date(year, m, 25)
                for m in range(first.month + 1, 13)
                if datetime.date(year, m, 25) <= last
            ] or [last]
        elif count == 1:
            days = [last]
        else:
            span = (last - first).days
            days = sorted(
                {first + datetime.timedelta(days=span * (i + 1) // count) for i in range(count)}
            )
        final_share = self.share(days[-1], year)
        # How far along each key result is at the latest check-in, as a share of its target.
        if year == self.year:
            reached = [_clip(final_share * pace * rng.gauss(1.0, 0.08), 0.0, 1.25) for _ in krs]
        else:
            reached = [_clip(pace * rng.gauss(1.0, 0.05), 0.1, 1.2) for _ in krs]
        confidence = int(_clip(round(3 + 5 * pace + rng.gauss(0, 1)), 0, 10))
        at = None
        for day in days:
            at = self.moment(day)
            cid = self.checkin_id
            self.checkin_id += 1
            behind = pace < 0.9
            self.checkins.append(
                (
                    cid,
                    goal_id,
                    author[0],
                    author[1],
                    self.dt(at),
                    None,
                    confidence,
                    _pick(rng, WENT_WELL),
                    _pick(rng, BLOCKED[2:]) if behind else _pick(rng, BLOCKED),
                    _pick(rng, NEXT_STEPS),
                )
            )
            ratio = self.share(day, year) / final_share if final_share else 1.0
            for kr, row, r in zip(krs, kr_rows, reached, strict=True):
                value = _round(kr.baseline + r * ratio * (kr.target - kr.baseline), kr.unit)
                self.values.append((cid, row[0], value))
                row[13] = value
                row[14] = self.dt(at)
            if commenter is not None and commenter[0] is not None and rng.random() < 0.3:
                self.comments.append(
                    (
                        cid,
                        commenter[0],
                        commenter[1],
                        self.dt(min(at + datetime.timedelta(days=1), self.latest)),
                        rng.choice(COMMENTS),
                    )
                )
        return at

    # -- unit, department and section goals

    def year_krs(self, krs: Sequence[KR], year: int) -> tuple[KR, ...]:
        return tuple(krs) if year == self.year else tuple(kr.previous() for kr in krs)

    def plan_unit(self, year: int, objectives: dict[tuple[int, str], int]) -> None:
        current = year == self.year
        planned: dict[str, Planned] = {}
        for spec in UNIT_GOALS:
            krs = self.year_krs(spec.krs, year)
            title = _title(spec.title, krs)
            gid = self.add_goal(
                level=GoalLevel.UNIT,
                dept=self.unit,
                person=None,
                year=year,
                title=title,
                krs=krs,
                weight=spec.weight,
                horizon=Horizon.CAPACITY if spec.capacity else Horizon.OUTPUT,
                parent=None,
                status=GoalStatus.LOCKED if current else GoalStatus.CLOSED,
                creator=self.user_perfadmin,
                approver=self.user_leader,
                author=(self.user_perfadmin, self.perfadmin_label),
                pace=_clip(self.rng.gauss(1.0, 0.12), 0.6, 1.3),
                checkins=3 if current else 1,
                objective=objectives.get((year, spec.aligns)),
                cadence=CheckInCadence.QUARTERLY,
            )
            planned[spec.key] = Planned(gid, spec, spec.weight, spec.key, title, krs)
        self.unit_goals[year] = planned

    def choose(self, specs: Sequence[Spec], n: int, below: bool) -> list[tuple[Spec, int]]:
        """n of the specs, with their weights: with at least 20% on capacity building, or
        (`below`) with less than the policy's minimum on it."""
        rng = self.rng
        capacity = [s for s in specs if s.capacity and not s.conflict]
        output = [s for s in specs if not s.capacity and not s.conflict]
        n = max(1, min(n, len(capacity) + len(output)))
        picked = [] if below or not capacity else [rng.choice(capacity)]
        picked += rng.sample(output, min(len(output), n - len(picked)))
        if below and capacity and rng.random() < 0.5 and len(picked) < 5:
            picked.append(rng.choice(capacity))
        spare = [s for s in capacity if s not in picked]
        while len(picked) < n and spare:
            picked.append(spare.pop(0))
        order = {s.key: i for i, s in enumerate(specs)}
        picked.sort(key=lambda s: order[s.key])
        weights = split_100([s.weight for s in picked])
        cap = [i for i, s in enumerate(picked) if s.capacity]
        out = [i for i, s in enumerate(picked) if not s.capacity]
        if cap and out:
            wanted = [5] * len(cap) if below else [weights[i] for i in cap]
            if below and len(cap) == 1:
                wanted = [10]
            if not below and sum(wanted) < 20:
                wanted[0] += 20 - sum(wanted)
            for i, value in zip(cap, wanted, strict=True):
                diff = value - weights[i]
                j = max(out, key=lambda x: weights[x])
                if weights[j] - diff >= 5:
                    weights[i] = value
                    weights[j] -= diff
        return list(zip(picked, weights, strict=True))

    def plan_department(self, d: OrgDept, year: int, below: bool) -> None:
        rng = self.rng
        current = year == self.year
        specs = DEPARTMENT_GOALS.get(d.name) or DEPARTMENT_GOALS[SUBCENTRE_SUFFIX]
        area = d.name.removesuffix(SUBCENTRE_SUFFIX) if self.is_subcentre(d) else ""
        fixed = FIXED_DEPARTMENT_GOALS.get(d.name)
        if fixed:
            chosen_specs = [s for key in fixed for s in specs if s.key == key]
            chosen = list(zip(chosen_specs, [s.weight for s in chosen_specs], strict=True))
        else:
            chosen = self.choose(specs, rng.choice((3, 4, 4, 5, 5)), below)
        head = self.heads.get(d.id)
        status = (
            (GoalStatus.LOCKED if rng.random() < 0.85 else GoalStatus.APPROVED)
            if current
            else GoalStatus.CLOSED
        )
        pace = _clip(rng.gauss(1.0, 0.15), 0.5, 1.35)
        planned: list[Planned] = []
        for spec, weight in chosen:
            krs = self.year_krs(spec.krs, year)
            title = _title(spec.title, krs, area)
            parent = self.unit_goals[year][spec.aligns]
            gid = self.add_goal(
                level=GoalLevel.DEPARTMENT,
                dept=d,
                person=None,
                year=year,
                title=title,
                krs=krs,
                weight=weight,
                horizon=Horizon.CAPACITY if spec.capacity else Horizon.OUTPUT,
                parent=parent.id,
                status=status,
                creator=head.user if head else None,
                approver=self.user_leader,
                author=(head.user if head else None, head.name if head else d.name),
                pace=_clip(pace * rng.gauss(1.0, 0.1), 0.3, 1.4),
                checkins=3 if current else 1,
            )
            planned.append(Planned(gid, spec, weight, spec.aligns, title, krs))
        self.dept_goals[(year, d.id)] = planned

    def plan_section(self, s: OrgDept, year: int, below: bool, status: str) -> None:
        rng = self.rng
        top = self.top(s.id)
        above = self.dept_goals.get((year, top.id))
        if not above:
            return
        template = DEPARTMENT_GOALS.get(top.name) or DEPARTMENT_GOALS[SUBCENTRE_SUFFIX]
        own = SECTION_GOALS.get(s.name) if top.name == "办公室" else None
        specs = own or template
        chosen = self.choose(specs, 4 if rng.random() < 0.35 else 3, below)
        area = top.name.removesuffix(SUBCENTRE_SUFFIX) if self.is_subcentre(top) else ""
        unit_key_of = {t.key: t.aligns for t in template}
        chief = self.chiefs.get(s.id)
        head = self.heads.get(top.id)
        pace = _clip(rng.gauss(1.0, 0.18), 0.4, 1.4)
        planned: list[Planned] = []
        for spec, weight in chosen:
            dept_key = spec.aligns if own else spec.key
            unit_key = unit_key_of.get(dept_key, spec.aligns)
            parent = (
                next((p for p in above if p.spec.key == dept_key), None)
                or next((p for p in above if p.unit_key == unit_key), None)
                or max(above, key=lambda p: p.weight)
            )
            krs = self.year_krs(spec.krs, year)
            title = _title(spec.title, krs, area)
            gid = self.add_goal(
                level=GoalLevel.DEPARTMENT,
                dept=s,
                person=None,
                year=year,
                title=title,
                krs=krs,
                weight=weight,
                horizon=Horizon.CAPACITY if spec.capacity else Horizon.OUTPUT,
                parent=parent.id,
                status=status,
                creator=chief.user if chief else None,
                approver=head.user if head else None,
                author=(chief.user if chief else None, chief.name if chief else s.name),
                pace=_clip(pace * rng.gauss(1.0, 0.1), 0.3, 1.4),
                checkins=(2 if rng.random() < 0.6 else 1),
                monthly=self.in_office(s.id),
            )
            planned.append(Planned(gid, spec, weight, parent.unit_key, title, krs))
        self.dept_goals[(year, s.id)] = planned

    def plan_organization(self, year: int) -> None:
        rng = self.rng
        current = year == self.year
        tops = [
            d
            for d in self.depts.values()
            if d.depth == 1 and d.name != LEADERSHIP and (current or not self.is_subcentre(d))
        ]
        # A few departments (never the office or the hotline, whose pages the demo shows)
        # plan too little capacity building; so does one of the office's sections.
        eligible = [d for d in tops if d.id != self.office and d.name != "12345热线中心"]
        below = {d.id for d in rng.sample(eligible, min(len(eligible), max(2, len(tops) // 12)))}
        for d in tops:
            self.plan_department(d, year, d.id in below)
        planned_tops = {d.id for d in tops}
        sections = [
            d for d in self.depts.values() if d.depth >= 2 and self.top(d.id).id in planned_tops
        ]
        office_sections = [s for s in sections if s.parent == self.office]
        below_sections = {s.id for s in sections if rng.random() < 0.06}
        if office_sections:
            below_sections.add(office_sections[-1].id)
        waiting = office_sections[0].id if office_sections else None
        for s in sections:
            if not current:
                status = GoalStatus.CLOSED
            elif s.id == waiting:
                status = GoalStatus.SUBMITTED  # waits for the head's approval
            else:
                r = rng.random()
                status = (
                    GoalStatus.LOCKED
                    if r < 0.68
                    else GoalStatus.APPROVED
                    if r < 0.85
                    else GoalStatus.SUBMITTED
                    if r < 0.95
                    else GoalStatus.DRAFT
                )
            self.plan_section(s, year, s.id in below_sections, status)

    # -- personal goals

    def specials(self) -> dict[int, str]:
        """The people whose current-year goals show something particular, by person id."""
        rng = self.rng
        modes: dict[int, str] = {}
        if self.employee is not None:
            modes[self.employee.id] = "employee"
        staff = [
            p
            for p in self.people
            if p.role == "staff" and p.is_active and p.status == PersonStatus.ACTIVE
        ]
        office = [p for p in staff if self.in_office(p.dept) and p.id not in modes]
        office.sort(key=lambda p: (p.dept != self.office, p.id))
        for p, mode in zip(
            office,
            (
                "conflict",
                "submitted",
                "submitted",
                "submitted",
                "returned",
                "smart:no_target",
                "weights",
            ),
            strict=False,
        ):
            modes[p.id] = mode
        hotline = next((d for d in self.depts.values() if d.name == "12345热线中心"), None)
        if hotline is not None:
            inside = [
                p
                for p in staff
                if self.depts[p.dept].path.startswith(hotline.path) and p.id not in modes
            ]
            if inside:
                modes[inside[0].id] = "conflict"
        rest = [p for p in staff if p.id not in modes]
        n = len(self.people)
        smart = rng.sample(rest, min(len(rest), max(3, n // 250)))
        for i, p in enumerate(smart):
            modes[p.id] = f"smart:{SMART_DEFECTS[i % len(SMART_DEFECTS)]}"
        rest = [p for p in rest if p.id not in modes]
        for p in rng.sample(rest, min(len(rest), max(3, n // 200))):
            modes[p.id] = "weights"
        return modes

    def personal_items(
        self, p: OrgPerson, year: int, n: int
    ) -> list[tuple[str, tuple[KR, ...], bool, int, int | None, float]]:
        """(title, key results, capacity, parent goal, template, raw weight) of a person's
        goals: their share of the goals above them, maybe the 窗口受理岗 template, training and
        the duties of their post."""
        rng = self.rng
        items: list[tuple[str, tuple[KR, ...], bool, int, int | None, float]] = []
        if p.role == "leader":
            index = self.leaders.index(p) if p in self.leaders else 0
            for key in LEADER_PORTFOLIOS[index % len(LEADER_PORTFOLIOS)][:n]:
                u = self.unit_goals[year][key]
                items.append(
                    (f"分管领域：{u.title}", u.krs[:1], u.spec.capacity, u.id, None, u.weight)
                )
            return items
        top = self.top(p.dept)
        home = self.dept_goals.get((year, p.dept)) or self.dept_goals.get((year, top.id)) or []
        home = [h for h in home if not h.spec.conflict]
        if not home:
            return items
        area = top.name.removesuffix(SUBCENTRE_SUFFIX) if self.is_subcentre(top) else ""
        if p.role in ("head", "chief"):
            prefix = "牵头完成部门目标：" if p.role == "head" else "带领科室完成："
            for h in sorted(home, key=lambda h: -h.weight)[: n - 1]:
                items.append((prefix + h.title, h.krs[:1], h.spec.capacity, h.id, None, h.weight))
        else:
            if p.post == WINDOW_POST and self.window_template is not None:
                anchor = next((h for h in home if h.unit_key == "yiwang"), None) or max(
                    home, key=lambda h: h.weight
                )
                items.append(
                    (
                        "窗口受理“一次性告知”和按时流转",
                        self.year_krs(WINDOW_TEMPLATE_KRS, year),
                        False,
                        anchor.id,
                        self.window_template,
                        30,
                    )
                )
            keyed = sorted(
                home, key=lambda h: rng.random() ** (1.0 / max(h.weight, 1)), reverse=True
            )
            for h in keyed[: max(1, n - len(items) - 1)]:
                krs = self.year_krs(h.spec.personal_krs(), year)
                title = _title(h.spec.mine or f"落实{h.title}", krs, area)
                items.append((title, krs, h.spec.capacity, h.id, None, h.weight))
        if len(items) < n:
            anchor = (
                next((h for h in home if h.unit_key == "talent"), None)
                or next((h for h in home if h.spec.capacity), None)
                or self.unit_goals[year]["talent"]
            )
            krs = self.year_krs((k("本人参训学时", "学时", 30, 40, 60, 72),), year)
            items.append((_title("完成年度学习培训{t}学时", krs), krs, True, anchor.id, None, 10))
        if len(items) < n and p.role == "staff" and p.post:
            heaviest = max(home, key=lambda h: h.weight)
            krs = self.year_krs((DUTY,), year)
            items.append((f"做好{p.post}本职工作", krs, False, heaviest.id, None, 15))
        return items

    def plan_people(self, year: int) -> None:
        rng = self.rng
        current = year == self.year
        modes = self.specials() if current else {}
        hq_end = datetime.date(year, 6, 30)
        for p in self.people:
            top = self.top(p.dept)
            if current:
                if not p.is_active:
                    continue
            else:
                if self.is_subcentre(top) or (p.hire_date and p.hire_date > hq_end):
                    continue
                if (
                    not p.is_active
                    and p.status_since
                    and p.status_since <= datetime.date(year, 12, 31)
                ):
                    continue
            mode = modes.get(p.id, "")
            n = 5 if mode == "employee" else rng.choices((3, 4, 5), (1, 3, 6))[0]
            items = self.personal_items(p, year, n)
            if mode == "conflict":
                down, up = PERSONAL_CONFLICTS.get(top.name, PERSONAL_CONFLICTS["办公室"])
                anchor = items[0][3] if items else None
                if anchor is None:
                    continue
                pair = [
                    (_title(c.title, c.krs), c.krs, False, anchor, None, 30.0) for c in (down, up)
                ]
                codes = {c.krs[0].indicator for c in (down, up)}
                others = [
                    i for i in items if i[4] is None and i[1] and i[1][0].indicator not in codes
                ]
                items = pair + others[:2]
            if not items:
                continue
            fixed = sum(int(i[5]) for i in items if i[4] is not None)
            free = [i[5] for i in items if i[4] is None]
            split = iter(split_100(free, total=100 - fixed)) if free else iter(())
            weights = [int(i[5]) if i[4] is not None else next(split) for i in items]
            defect = ""
            if mode == "weights":
                weights[-1] += 10 if rng.random() < 0.5 or weights[-1] <= 10 else -10
            elif mode.startswith("smart:"):
                defect = mode.removeprefix("smart:")
                if defect == "zero_weight" and len(weights) > 1:
                    weights[1] += weights[0]
                    weights[0] = 0
            statuses = self.person_statuses(p, year, mode, len(items))
            pace = _clip(rng.gauss(1.0, 0.2), 0.35, 1.4)
            superior = self.person_by_id.get(p.superior or 0)
            approver = superior.user if superior else None
            commenter = (superior.user, superior.name) if superior and superior.user else None
            monthly = self.in_office(p.dept)
            on_duty = p.status == PersonStatus.ACTIVE
            for i, ((title, krs, capacity, parent, template, _raw), weight, status) in enumerate(
                zip(items, weights, statuses, strict=True)
            ):
                goal_defect = defect if i == 0 else ""
                if goal_defect == "no_measure":
                    krs = ()
                if current:
                    r = rng.random()
                    checkins = 0 if not on_duty or r < 0.08 else 1 if r < 0.92 else 2
                else:
                    checkins = 1
                self.add_goal(
                    level=GoalLevel.PERSON,
                    dept=self.depts[p.dept],
                    person=p,
                    year=year,
                    title=title,
                    krs=krs,
                    weight=weight,
                    horizon=Horizon.CAPACITY if capacity else Horizon.OUTPUT,
                    parent=parent,
                    status=status,
                    creator=p.user,
                    approver=approver,
                    author=(p.user, p.name),
                    pace=_clip(pace * rng.gauss(1.0, 0.1), 0.2, 1.5),
                    checkins=checkins,
                    template=template,
                    defect=goal_defect,
                    commenter=commenter,
                    return_comment=RETURN_COMMENTS[rng.randrange(len(RETURN_COMMENTS))]
                    if mode != "employee"
                    else RETURN_COMMENTS[0],
                    monthly=monthly and on_duty,
                )

    def person_statuses(self, p: OrgPerson, year: int, mode: str, n: int) -> list[GoalStatus]:
        if year != self.year:
            return [GoalStatus.CLOSED] * n
        S = GoalStatus
        if mode == "employee":
            mix = [S.LOCKED, S.LOCKED, S.APPROVED, S.SUBMITTED, S.RETURNED]
            return mix[-n:] if n < len(mix) else mix + [S.LOCKED] * (n - len(mix))
        if mode in ("weights",) or mode.startswith("smart:"):
            return [S.DRAFT] * n
        if mode == "conflict":
            return [S.SUBMITTED if self.in_office(p.dept) else S.APPROVED] * n
        if mode == "submitted":
            return [S.SUBMITTED] * n
        if mode == "returned":
            return [S.RETURNED] + [S.SUBMITTED] * (n - 1)
        if p.hire_date and p.hire_date >= datetime.date(year, 4, 1):
            return [S.DRAFT if self.rng.random() < 0.5 else S.SUBMITTED] * n
        r = self.rng.random()
        if r < 0.6:
            return [S.LOCKED] * n
        if r < 0.84:
            return [S.APPROVED] * n
        if r < 0.9:
            return [S.SUBMITTED] * n
        if r < 0.91:
            return [S.RETURNED] + [S.SUBMITTED] * (n - 1)
        return [S.DRAFT] * n

    # -- work plans, budgets, supports

    def plan_work(self) -> int:
        rng = self.rng
        today = self.today
        year = self.year
        by_name = {d.name: d for d in self.depts.values() if d.depth == 1}
        items: list[WorkItem] = []
        milestones: list[list[Milestone]] = []
        for position, spec in enumerate(WORK_PLANS):
            d = by_name.get(spec.department)
            planned = self.dept_goals.get((year, d.id)) if d else None
            if d is None or not planned:
                continue
            goal = next((p for p in planned if p.spec.key == spec.goal), planned[0])
            owner = self.work_owner(d, spec.owner)
            start = datetime.date(year, *spec.start)
            end = datetime.date(year, *spec.end)
            started = start <= today
            ms: list[Milestone] = []
            done_share = 0
            for title, (month, day), share, late in spec.milestones:
                due = datetime.date(year, month, day)
                done = due < today - datetime.timedelta(days=5) and not late
                done_on = due - datetime.timedelta(days=rng.randrange(8)) if done else None
                done_share += share if done else 0
                ms.append(
                    Milestone(title=title, due_date=due, share=Decimal(share), done_on=done_on)
                )
            if ms:
                percent = done_share
                upcoming = next((m for m in ms if m.done_on is None), None)
                if upcoming is not None and started:
                    percent += int(int(upcoming.share) * 0.5)
            elif started:
                elapsed = (min(today, end) - start).days / max(1, (end - start).days)
                percent = int(_clip(elapsed * rng.uniform(0.75, 1.05), 0, 1) * 100)
            else:
                percent = 0
            percent = min(100, percent)
            if not started:
                status = WorkItemStatus.NOT_STARTED
            elif percent >= 100:
                status = WorkItemStatus.DONE
            else:
                status = WorkItemStatus.IN_PROGRESS
            actual_start = start + datetime.timedelta(days=rng.randrange(10)) if started else None
            if actual_start is not None and actual_start > today:
                actual_start = today
            actual_end = min(end, today) if status == WorkItemStatus.DONE else None
            cost = None
            if spec.budget and started:
                cost = Decimal(round(spec.budget * percent / 100 * spec.cost_factor, -2)).quantize(
                    Decimal("0.01")
                )
            items.append(
                WorkItem(
                    goal_id=goal.id,
                    kind=spec.kind,
                    title=spec.title,
                    owner_id=owner.id if owner else None,
                    planned_start=start,
                    planned_end=end,
                    planned_days=Decimal(spec.days) if spec.days else None,
                    budget=Decimal(spec.budget) if spec.budget else None,
                    actual_start=actual_start,
                    actual_end=actual_end,
                    percent_complete=percent,
                    actual_cost=cost,
                    status=status,
                    position=position,
                )
            )
            milestones.append(ms)
        WorkItem.objects.bulk_create(items)
        for item, ms in zip(items, milestones, strict=True):
            for m in ms:
                m.work_item = item
        Milestone.objects.bulk_create([m for ms in milestones for m in ms])
        DepartmentBudget.objects.bulk_create(
            [
                DepartmentBudget(
                    department_id=by_name[name].id,
                    year=year,
                    amount=Decimal(amount),
                    note="年度部门预算（项目支出）",
                )
                for name, amount in DEPARTMENT_BUDGETS.items()
                if name in by_name
            ]
        )
        return len(items)

    def work_owner(self, d: OrgDept, role: str) -> OrgPerson | None:
        if role == "head":
            return self.heads.get(d.id)
        if role == "deputy":
            return self.deputies.get(d.id) or self.heads.get(d.id)
        if role == "staff":
            inside = [
                p
                for p in self.people
                if p.role == "staff"
                and p.is_active
                and self.depts[p.dept].path.startswith(d.path)
                and (self.employee is None or p.id != self.employee.id)
            ]
            inside.sort(key=lambda p: (p.dept != d.id, p.id))
            return inside[0] if inside else self.heads.get(d.id)
        section = next(
            (s for s in self.depts.values() if s.parent == d.id and s.name == role), None
        )
        return (self.chiefs.get(section.id) if section else None) or self.heads.get(d.id)

    def supports(self) -> None:
        links = (("数据管理科", "zhengzhao", "digital"), ("督查考核科", "xinxihua", "duban"))
        by_name = {d.name: d for d in self.depts.values() if d.depth == 1}
        rows = []
        for name, key, unit_key in links:
            d = by_name.get(name)
            planned = self.dept_goals.get((self.year, d.id)) if d else None
            goal = next((p for p in planned or [] if p.spec.key == key), None)
            target = self.unit_goals[self.year].get(unit_key)
            if goal is not None and target is not None and goal.unit_key != unit_key:
                rows.append(GoalSupport(goal_id=goal.id, supports_id=target.id))
        GoalSupport.objects.bulk_create(rows)

    # -- writing

    def with_progress(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The goal and key-result rows with their progress (and last year's goals with the
        outcome it suggests), computed as recompute_all() would: writing them with the rows
        saves updating every row again afterwards."""
        goals, krs = self.goals, self.krs
        computed = progress.compute_all(
            goal_ids=np.array([g[0] for g in goals], dtype=np.int64),
            parent_ids=np.array([-1 if g[11] is None else g[11] for g in goals], dtype=np.int64),
            weights=np.array([g[12] for g in goals], dtype=np.float64),
            modes=np.full(len(goals), progress.MODE_CODES[ProgressMode.AUTO], dtype=np.int64),
            reported=np.full(len(goals), np.nan),
            kr_goal_ids=np.array([r[1] for r in krs], dtype=np.int64),
            kr_current=np.array([r[13] for r in krs], dtype=np.float64),
            kr_baseline=np.array([r[7] for r in krs], dtype=np.float64),
            kr_target=np.array([r[9] for r in krs], dtype=np.float64),
            kr_lower=np.array([r[6] == Direction.LOWER for r in krs], dtype=bool),
            kr_weights=np.array([r[11] for r in krs], dtype=np.float64),
        )
        at = self.dt(self.latest)
        own = [x if x == x else None for x in computed.own.tolist()]  # NaN != NaN
        rolled = [x if x == x else None for x in computed.progress.tolist()]
        closed = GoalStatus.CLOSED
        goal_rows = [
            (*((*g[:16], suggested_outcome(p), *g[17:]) if g[15] == closed else g), o, p, at)
            for g, o, p in zip(goals, own, rolled, strict=True)
        ]
        kr_rows = [
            (*r, x if x == x else None)
            for r, x in zip(krs, computed.key_results.tolist(), strict=True)
        ]
        return goal_rows, kr_rows

    def write(self) -> None:
        goal_rows, kr_rows = self.with_progress()
        _insert(Goal, (*GOAL_COLUMNS, "own_progress", "progress", "progress_at"), goal_rows)
        _insert(KeyResult, (*KR_COLUMNS, "progress"), kr_rows)
        _insert(CheckIn, CHECKIN_COLUMNS, self.checkins)
        _insert(CheckInValue, VALUE_COLUMNS, self.values)
        _insert(CheckInComment, COMMENT_COLUMNS, self.comments)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Goal, KeyResult, CheckIn]):
                cursor.execute(sql)
        grouped: dict[tuple[int | None, str, str], list[audit.AuditEntry]] = defaultdict(list)
        for gid, title, path, comment, user_id, name in self.returned:
            grouped[(user_id, name, comment)].append(
                audit.AuditEntry(
                    action="goals.goal.return",
                    object_type="goals.goal",
                    object_id=str(gid),
                    object_label=title[:255],
                    changes={"status": [GoalStatus.SUBMITTED, GoalStatus.RETURNED]},
                    scope_path=path,
                )
            )
        for (user_id, name, comment), entries in grouped.items():
            audit.record_many(Actor(user_id=user_id, label=name, source="system"), entries, comment)


def _insert(model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Plain rows through the organization demo's COPY/executemany path; fields that are not
    given and may not be null take their defaults (so that a field added later to the model
    does not break the demo)."""
    given = set(columns)
    rest = [
        f
        for f in model._meta.concrete_fields
        if f.name not in given and f.attname not in given and not f.null and not f.primary_key
    ]
    if not rest:
        org_demo._insert(model, columns, rows)
        return
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    org_demo._insert(model, [*columns, *(f.name for f in rest)], (row + defaults for row in rows))


class GoalsExist(Exception):
    """The database already holds goal data and `reset` was not asked."""


def build_goals_demo(
    *,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
    reset: bool = False,
) -> GoalsDemoResult:
    """Build the demo goals for the organization in the database (see the module docstring).

    With `reset`, delete existing goal data first; without it, refuse when there is some.
    """
    started = time.perf_counter()
    day = today or datetime.date.today()
    with transaction.atomic(durable=True):
        if goals_exist():
            if not reset:
                raise GoalsExist()
            delete_goals()
        b = _Builder(seed, day)
        b.read_org()
        if not b.people:
            return GoalsDemoResult(0, 0, 0, 0, time.perf_counter() - started, 0.0)
        objectives = b.strategy()
        b.templates()
        for year in (b.prev, b.year):
            b.plan_unit(year, objectives)
            b.plan_organization(year)
            b.plan_people(year)
        b.write()
        work_items = b.plan_work()
        b.supports()
        if connection.vendor == "postgresql":
            # Statistics for the freshly loaded tables, as after any bulk load: without them
            # the first pages plan as if the tables were empty.
            with connection.cursor() as cursor:
                for model in (Goal, KeyResult, CheckIn, CheckInValue):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        # The rows went in with their progress: this finds nothing to change unless other
        # goals were in the database, and keeps the demo honest if the arithmetic changes.
        summary = progress.recompute_all()
    return GoalsDemoResult(
        goals=len(b.goals),
        key_results=len(b.krs),
        checkins=len(b.checkins),
        work_items=work_items,
        seconds=time.perf_counter() - started,
        recompute_seconds=summary.seconds,
        statuses=dict(b.statuses),
    )


def build_for_demo_command(seed: int, today: datetime.date) -> str:
    """The `manage.py demo` hook: goals for the organization just built."""
    return build_goals_demo(seed=seed, today=today, reset=True).summary()


def register() -> None:
    org_demo.register_demo_extension(
        org_demo.DemoExtension(name="goals", build=build_for_demo_command, clear=delete_goals)
    )
