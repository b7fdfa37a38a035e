"""The demo organization: a municipal government-services bureau of any size.

`plan_demo` is pure: from a seed and a head count it lays out departments, posts and people
(deterministic through `random.Random(seed)`). `build_demo` writes a plan with a number of
queries that depends on batch counts only, never on the number of people: one bulk insert per
tree level, one set-based UPDATE per level for the materialized paths, bulk inserts for posts,
people (level by level, so that superiors already have ids) and status history.
"""

from __future__ import annotations

import datetime
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import CharField, Field, Model, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from jixiao.accounts.models import User
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Gender,
    Person,
    PersonStatus,
    PersonStatusChange,
    Post,
    PostCategory,
    PostClass,
    Role,
    RoleGrant,
)

DEMO_PASSWORD = "Jixiao@2026"
DEFAULT_PEOPLE = 260
DEFAULT_SEED = 2026
UNIT_NAME = "某市政务服务管理局"
UNIT_CODE = "ZWJ"
PEOPLE_PER_SECTION = 20
MAX_FLAT_STAFF = 30  # a department with more staff than this and no sections gets sections
PEOPLE_PER_DEPARTMENT = 600  # beyond this size the bureau grows service sub-centres
BATCH = 2000
INSERT_CHUNK = 5000

M, P, S = PostClass.MANAGEMENT, PostClass.PROFESSIONAL, PostClass.SUPPORT

# ---------------------------------------------------------------- ranks

MANAGEMENT_RANKS = (
    "一级主任科员",
    "二级主任科员",
    "三级主任科员",
    "三级主任科员",
    "四级主任科员",
    "四级主任科员",
    "一级科员",
    "一级科员",
    "二级科员",
)
PROFESSIONAL_RANKS = ("专技岗（副高级）", "专技岗（中级）", "专技岗（中级）", "专技岗（初级）")
SUPPORT_RANKS = ("工勤（技师）", "工勤（高级工）", "工勤（中级工）")
RANKS_BY_CLASS: dict[str, tuple[str, ...]] = {
    M: MANAGEMENT_RANKS,
    P: PROFESSIONAL_RANKS,
    S: SUPPORT_RANKS,
}


# ---------------------------------------------------------------- templates


@dataclass(frozen=True, slots=True)
class PostTemplate:
    name: str
    post_class: str
    duties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SectionTemplate:
    name: str
    chief: str  # title of the chief's post, e.g. "科长"
    posts: tuple[PostTemplate, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class DepartmentTemplate:
    name: str
    chief: str
    deputy: str
    weight: int
    leader: int  # index into LEADERS of the leader in charge (分管领导)
    description: str
    posts: tuple[PostTemplate, ...]  # staff posts of the department itself, or of its sections
    sections: tuple[SectionTemplate, ...] = ()
    extra_section: str = "综合{n}组"  # name of generated sections; {n} is a Chinese numeral
    extra_chief: str = "组长"
    extra_start: int = 0  # numbers already taken by named sections
    general_post: PostTemplate | None = None  # department-level staff when it has sections


def _pt(name: str, post_class: str, *duties: str) -> PostTemplate:
    return PostTemplate(name, post_class, duties)


LEADERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "局长",
        "正处",
        "主持全局全面工作",
        (
            "贯彻落实党中央、省委和市委关于政务服务工作的决策部署，主持局党组和局务会议。",
            "负责全局发展规划、重大改革事项和年度工作目标的研究确定。",
            "分管办公室、人事科，对全局干部队伍建设和绩效管理负总责。",
            "代表本局对外协调，签发重要公文。",
        ),
    ),
    (
        "副局长",
        "副处",
        "协助局长工作，分管政务服务和审批",
        (
            "协助局长工作，分管政务服务科、审批管理科、政策法规科。",
            "组织推进“一网通办”“一件事一次办”等政务服务改革任务。",
            "负责分管领域的安全生产、党风廉政建设和绩效目标落实。",
        ),
    ),
    (
        "副局长",
        "副处",
        "协助局长工作，分管热线和数据",
        (
            "协助局长工作，分管12345热线中心、数据管理科。",
            "统筹政务服务便民热线归并、工单办理质效和数据共享工作。",
            "负责分管领域的安全生产、党风廉政建设和绩效目标落实。",
        ),
    ),
    (
        "副局长",
        "副处",
        "协助局长工作，分管督查和财务",
        (
            "协助局长工作，分管督查考核科、财务科、营商环境科。",
            "组织开展重点工作督查督办和年度绩效考核。",
            "负责分管领域的安全生产、党风廉政建设和绩效目标落实。",
        ),
    ),
    (
        "机关党委书记",
        "副处",
        "负责机关党建和纪检",
        (
            "负责机关党的建设、意识形态和精神文明建设工作。",
            "督促落实全面从严治党主体责任，组织开展党风廉政教育。",
            "联系机关工会、共青团、妇委会等群团组织。",
        ),
    ),
)

DEPARTMENTS: tuple[DepartmentTemplate, ...] = (
    DepartmentTemplate(
        name="办公室",
        chief="主任",
        deputy="副主任",
        weight=40,
        leader=0,
        description="负责机关日常运转，承担文秘、会务、后勤、物资、车辆和信息化保障工作。",
        posts=(_pt("综合保障岗", M, "负责办公室交办的综合保障事务。", "做好台账登记和统计报送。"),),
        general_post=_pt(
            "综合秘书岗",
            M,
            "协助办公室主任处理日常事务，做好领导日程安排。",
            "负责办公室内部工作协调和督办事项跟踪。",
            "起草办公室工作计划、总结和有关材料。",
        ),
        sections=(
            SectionTemplate(
                "文秘科",
                "科长",
                (
                    _pt(
                        "文字综合岗",
                        M,
                        "起草局重要文稿、领导讲话、工作报告和综合性材料。",
                        "承担信息编报和政务信息报送工作。",
                        "负责年度工作要点、总结的汇总起草。",
                    ),
                    _pt(
                        "公文管理岗",
                        M,
                        "负责公文收发、登记、分办、催办和归档（收文→归档全流程）。",
                        "审核以局名义发出公文的格式和文字。",
                        "按时限跟踪公文办理进度，每月通报超期情况。",
                    ),
                    _pt(
                        "机要保密岗",
                        M,
                        "负责机要文件的收发、传阅、保管和清退。",
                        "落实保密管理制度，开展保密自查。",
                    ),
                    _pt(
                        "档案管理岗",
                        P,
                        "负责文书档案的整理、立卷、归档和利用服务。",
                        "推进档案数字化和电子档案管理。",
                    ),
                ),
                "负责公文处理、文稿起草、机要保密和档案管理。",
            ),
            SectionTemplate(
                "会务科",
                "科长",
                (
                    _pt(
                        "会务服务岗",
                        M,
                        "负责局务会议、专题会议的筹备、通知、会场布置和会议记录。",
                        "起草会议纪要，跟踪会议议定事项落实。",
                        "做好会议室预约管理和会务满意度回访。",
                    ),
                    _pt(
                        "接待联络岗",
                        M,
                        "负责上级检查、外单位考察的接待联络工作。",
                        "严格执行公务接待标准，做好接待清单登记。",
                    ),
                ),
                "负责会议组织和公务接待。",
            ),
            SectionTemplate(
                "后勤保障科",
                "科长",
                (
                    _pt(
                        "物业管理岗",
                        M,
                        "负责办公楼物业服务的监督考核和保洁、安保管理。",
                        "组织办公用房调配和使用登记。",
                        "受理各部门设施报修，跟踪维修时限和满意度。",
                    ),
                    _pt(
                        "设施维修岗",
                        S,
                        "负责水、电、空调、门禁等设施设备的日常巡检和维修。",
                        "做好维修记录，按时完成报修工单。",
                        "落实节能降耗措施，统计能耗数据。",
                    ),
                    _pt(
                        "安全管理岗",
                        M,
                        "负责机关消防、安全生产检查和应急演练组织。",
                        "建立安全隐患台账并督促整改。",
                    ),
                ),
                "负责办公楼物业、设施维修、安全和节能管理。",
            ),
            SectionTemplate(
                "物资管理科",
                "科长",
                (
                    _pt(
                        "物资采购岗",
                        M,
                        "按照政府采购规定编制和执行办公用品、设备采购计划。",
                        "负责供应商比选和采购合同管理。",
                    ),
                    _pt(
                        "仓储保管岗",
                        S,
                        "负责办公用品出入库登记、盘点和发放。",
                        "按月统计各部门物资消耗，分析异常增长。",
                    ),
                    _pt(
                        "资产管理岗",
                        M,
                        "负责固定资产登记、调拨、盘点和报废处置。",
                        "维护资产管理信息系统，确保账实相符。",
                    ),
                ),
                "负责办公用品、设备的采购、保管和资产管理。",
            ),
            SectionTemplate(
                "车辆管理科",
                "科长",
                (
                    _pt(
                        "车辆调度岗",
                        M,
                        "负责公务用车的派车审批、调度和使用登记。",
                        "统计车辆里程、油耗和维修费用，按月公开。",
                    ),
                    _pt(
                        "驾驶员",
                        S,
                        "按照派车单安全驾驶，保证公务出行准时。",
                        "负责车辆日常清洁、检查和保养送修。",
                        "如实填写行车记录。",
                    ),
                ),
                "负责公务用车管理和调度。",
            ),
            SectionTemplate(
                "信息化科",
                "科长",
                (
                    _pt(
                        "网络运维岗",
                        P,
                        "负责机关局域网、电子政务外网和终端设备的运行维护。",
                        "受理信息化故障报修，按时限处置并回访。",
                        "落实网络安全等级保护要求，开展安全巡检。",
                    ),
                    _pt(
                        "系统管理岗",
                        P,
                        "负责办公自动化、政务服务平台等业务系统的账号和权限管理。",
                        "组织系统升级、数据备份和恢复演练。",
                    ),
                ),
                "负责机关信息化建设、网络和业务系统运维。",
            ),
        ),
        extra_section="综合保障{n}科",
        extra_chief="科长",
    ),
    DepartmentTemplate(
        name="政策法规科",
        chief="科长",
        deputy="副科长",
        weight=8,
        leader=1,
        description="负责政务服务政策研究、规范性文件合法性审核、行政复议应诉和普法。",
        posts=(
            _pt(
                "法制审核岗",
                P,
                "负责规范性文件、合同和重大行政决策的合法性审核。",
                "办理行政复议、行政应诉案件。",
                "提出法律意见，防范法律风险。",
            ),
            _pt(
                "政策研究岗",
                M,
                "跟踪研究国家和省市政务服务政策，起草调研报告。",
                "组织政务服务标准化建设，编制办事指南标准。",
            ),
            _pt("普法宣传岗", M, "制定年度普法计划，组织法治宣传和学法考试。"),
        ),
        extra_section="法规{n}组",
    ),
    DepartmentTemplate(
        name="政务服务科",
        chief="科长",
        deputy="副科长",
        weight=45,
        leader=1,
        description="负责政务服务中心运行管理，统筹窗口服务、帮办代办和好差评工作。",
        posts=(
            _pt(
                "窗口受理岗",
                M,
                "在综合窗口按照“一窗受理”要求受理办事申请，一次性告知所需材料。",
                "核验申请材料，录入系统并按时限流转。",
                "做好群众咨询解答，落实首问负责和限时办结制度。",
            ),
            _pt(
                "出件窗口岗",
                M,
                "负责办结证照、批文的统一出件和邮寄送达。",
                "登记出件台账，按时通知申请人领取。",
            ),
            _pt(
                "帮办代办岗",
                M,
                "为企业和群众提供帮办代办服务，跟踪办件进度。",
                "收集办事堵点问题，提出优化建议。",
            ),
            _pt(
                "好差评管理岗",
                M,
                "负责政务服务好差评数据的统计分析和差评核实整改。",
                "差评按时回访，整改情况按月通报。",
            ),
        ),
        general_post=_pt(
            "大厅管理岗",
            M,
            "负责政务服务大厅秩序、引导和排队叫号管理。",
            "巡查窗口服务规范，记录考勤和服务质量情况。",
        ),
        sections=(
            SectionTemplate("综合窗口一组", "组长", (), "负责综合受理窗口的前台受理工作。"),
            SectionTemplate("综合窗口二组", "组长", (), "负责综合受理窗口的前台受理工作。"),
            SectionTemplate("帮办代办组", "组长", (), "负责帮办代办和出件服务。"),
        ),
        extra_section="综合窗口{n}组",
        extra_start=2,
    ),
    DepartmentTemplate(
        name="12345热线中心",
        chief="主任",
        deputy="副主任",
        weight=50,
        leader=2,
        description="负责12345政务服务便民热线的受理、派单、督办、回访和知识库管理。",
        posts=(
            _pt(
                "话务受理岗",
                M,
                "按照服务规范接听群众来电，准确记录诉求并生成工单。",
                "能即时答复的即时答复，不能答复的按时限派转承办单位。",
                "遵守话务服务用语规范，接受录音质检。",
            ),
            _pt(
                "工单派转岗",
                M,
                "负责工单的分类、派转和退单审核。",
                "跟踪工单按时签收率和按时办结率。",
            ),
            _pt(
                "回访督办岗",
                M,
                "对办结工单开展回访，统计满意率。",
                "对超期和不满意工单督办，必要时发回重办。",
            ),
            _pt("知识库维护岗", P, "负责热线知识库的收集、审核和更新。", "编写常见问题答复口径。"),
        ),
        general_post=_pt(
            "质检分析岗",
            M,
            "负责话务录音质检和服务质量评分。",
            "编制热线运行日报、月报和诉求热点分析。",
        ),
        sections=(
            SectionTemplate("话务一班", "班长", (), "负责早班来电受理。"),
            SectionTemplate("话务二班", "班长", (), "负责中班来电受理。"),
            SectionTemplate("话务三班", "班长", (), "负责夜班来电受理。"),
            SectionTemplate("工单派转组", "组长", (), "负责工单派转和退单审核。"),
            SectionTemplate("回访督办组", "组长", (), "负责回访和督办。"),
        ),
        extra_section="话务{n}班",
        extra_chief="班长",
        extra_start=3,
    ),
    DepartmentTemplate(
        name="审批管理科",
        chief="科长",
        deputy="副科长",
        weight=25,
        leader=1,
        description="负责进驻事项的审批服务管理，推进审批流程再造和告知承诺制。",
        posts=(
            _pt(
                "审批服务岗",
                M,
                "负责进驻事项的审核、审批和办结，确保在承诺时限内办结。",
                "落实告知承诺制，做好事中事后监管衔接。",
            ),
            _pt(
                "事项管理岗",
                M,
                "负责政务服务事项清单的动态调整和办事指南维护。",
                "组织压减办理时限、申请材料和跑动次数。",
            ),
            _pt("现场勘验岗", P, "负责需要现场核查事项的勘验和记录。", "按时出具勘验意见。"),
        ),
        extra_section="审批{n}组",
    ),
    DepartmentTemplate(
        name="数据管理科",
        chief="科长",
        deputy="副科长",
        weight=15,
        leader=2,
        description="负责政务数据归集、共享、治理和政务服务平台运营。",
        posts=(
            _pt(
                "数据治理岗",
                P,
                "负责政务数据目录编制、数据归集和质量核查。",
                "处理数据共享申请，保障数据安全。",
            ),
            _pt(
                "数据分析岗",
                P,
                "负责政务服务运行数据的统计分析和可视化报表。",
                "为绩效考核提供办件量、时效、满意度等数据支撑。",
            ),
            _pt("平台运营岗", M, "负责一网通办平台的运营、事项上线和用户反馈处理。"),
        ),
        extra_section="数据{n}组",
    ),
    DepartmentTemplate(
        name="督查考核科",
        chief="科长",
        deputy="副科长",
        weight=10,
        leader=3,
        description="负责重点工作督查督办和机关绩效考核（考核办）。",
        posts=(
            _pt(
                "绩效考核岗",
                M,
                "拟订年度绩效考核方案和指标体系，组织平时考核和年度考核。",
                "汇总考核数据，计算考核结果并按程序报批公示。",
                "受理考核复核和申诉的材料登记。",
            ),
            _pt(
                "督查督办岗",
                M,
                "对局党组、局务会议定事项和领导批示件进行立项督办。",
                "按周通报督办事项进展，对逾期事项提出问责建议。",
            ),
        ),
        extra_section="督查{n}组",
    ),
    DepartmentTemplate(
        name="人事科",
        chief="科长",
        deputy="副科长",
        weight=10,
        leader=0,
        description="负责机构编制、干部人事、教育培训、工资福利和离退休干部工作。",
        posts=(
            _pt(
                "干部管理岗",
                M,
                "负责干部选拔任用、职级晋升和干部档案管理。",
                "做好公务员年度考核结果的运用和备案。",
            ),
            _pt("教育培训岗", M, "制定年度培训计划，组织干部教育培训和学时登记。"),
            _pt(
                "工资福利岗",
                M,
                "负责工资核定、社会保险和福利待遇办理。",
                "办理人员调动、借调手续。",
            ),
        ),
        extra_section="人事{n}组",
    ),
    DepartmentTemplate(
        name="财务科",
        chief="科长",
        deputy="副科长",
        weight=10,
        leader=3,
        description="负责预决算、财务核算、内部审计和政府采购监督。",
        posts=(
            _pt(
                "会计岗",
                P,
                "负责会计核算、凭证审核、账簿登记和财务报表编制。",
                "按照预算执行进度要求按月分析支出情况。",
            ),
            _pt("出纳岗", P, "负责资金收付、银行对账和票据管理。"),
            _pt("预算管理岗", M, "编制部门预算和决算，开展预算绩效评价。"),
        ),
        extra_section="财务{n}组",
    ),
    DepartmentTemplate(
        name="营商环境科",
        chief="科长",
        deputy="副科长",
        weight=12,
        leader=3,
        description="负责优化营商环境政策落实、评价迎评和涉企诉求办理。",
        posts=(
            _pt(
                "营商环境评价岗",
                M,
                "组织营商环境评价迎评工作，分析指标短板并提出整改措施。",
                "跟踪对标提升任务落实情况。",
            ),
            _pt("涉企诉求岗", M, "受理和督办企业诉求，按时反馈办理结果。"),
        ),
        extra_section="营商{n}组",
    ),
    DepartmentTemplate(
        name="机关党委",
        chief="专职副书记",
        deputy="纪委书记",
        weight=8,
        leader=4,
        description="负责机关党建、纪检监察、工会和群团工作。",
        posts=(
            _pt(
                "党建工作岗",
                M,
                "负责党支部建设、党员教育管理和党费收缴。",
                "组织“三会一课”和主题党日活动并做好记录。",
            ),
            _pt(
                "纪检监察岗",
                M,
                "负责党风廉政建设日常监督、信访举报受理和问题线索登记。",
                "配合开展执纪审查和作风督查。",
            ),
            _pt("工会群团岗", M, "负责工会、共青团、妇委会日常工作和职工活动组织。"),
        ),
        extra_section="党建{n}组",
    ),
)

SUBCENTRE = DepartmentTemplate(
    name="{area}政务服务分中心",
    chief="主任",
    deputy="副主任",
    weight=20,
    leader=1,
    description="负责{area}片区政务服务窗口的受理、办理和好差评管理。",
    posts=DEPARTMENTS[2].posts,
    general_post=DEPARTMENTS[2].general_post,
    extra_section="综合窗口{n}组",
)
AREAS = (
    "城东",
    "城西",
    "城南",
    "城北",
    "高新区",
    "经开区",
    "滨江",
    "临港",
    "新城",
    "老城",
    "东湖",
    "西山",
    "南湖",
    "北塘",
    "河口",
    "青山",
)

# ---------------------------------------------------------------- names

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤"
    "庞樊兰殷施陶洪翟安颜倪严牛温季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿卜路詹关"
)
# The first surnames are far more common: weight them so the mix looks like a real roster.
SURNAME_CUM_WEIGHTS = tuple(
    itertools.accumulate(max(1.0, 40.0 / (i + 1) ** 0.7) for i in range(len(SURNAMES)))
)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志伦峰德文博思远晨昊天佳海洋立新"
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲桂英燕丹萍红琳雪慧莹倩婷颖洁琴云莉梅兰凤晶婉欣怡悦萱佳宁晓雨思蕾"
)
COMMON_CHARS = "文晓建海春小子一永玉嘉瑞安雅"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十二, 二十三); larger numbers in Arabic digits."""
    digits = "零一二三四五六七八九"
    if n < 1 or n > 99:
        return str(n)
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("十" if tens == 1 else digits[tens] + "十") + (digits[ones] if ones else "")


def _name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]
    chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
    if rng.random() < 0.22:
        return surname + rng.choice(chars)
    first = rng.choice(COMMON_CHARS) if rng.random() < 0.25 else rng.choice(chars)
    second = rng.choice(chars)
    while second == first:
        second = rng.choice(chars)
    return surname + first + second


# ---------------------------------------------------------------- the plan


@dataclass(slots=True)
class DeptPlan:
    key: int
    parent: int | None
    depth: int
    code: str
    name: str
    kind: str
    sort_order: int
    description: str


@dataclass(slots=True)
class PostPlan:
    key: int
    dept: int
    code: str
    name: str
    category: str
    post_class: str
    duties: str
    headcount: int = 0


@dataclass(slots=True)
class PersonPlan:
    key: int
    level: int  # people are written level by level: a superior is always on a lower level
    employee_no: str
    name: str
    gender: str
    dept: int
    post: int
    rank: str
    superior: int | None
    hire_date: datetime.date
    status: str = PersonStatus.ACTIVE
    status_since: datetime.date | None = None
    is_active: bool = True
    role: str = ""  # "leader", "head", "chief", "deputy", "staff"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: str
    person: int | None  # person key
    scope: int | None  # department key


@dataclass(slots=True)
class DemoPlan:
    seed: int
    today: datetime.date
    departments: list[DeptPlan] = field(default_factory=list)
    posts: list[PostPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Unit:
    """A leaf or a department during planning: where people go and which posts they hold."""

    dept: int
    chief_title: str
    posts: tuple[PostTemplate, ...]


def minimum_people() -> int:
    """Leaders, one head per department, one chief per named section, department-level staff."""
    return len(LEADERS) + sum(_department_minimum(d) for d in DEPARTMENTS)


def _split(total: int, weights: Sequence[float], minimums: Sequence[int]) -> list[int]:
    """Split `total` in proportion to weights, each part at least its minimum (largest remainder)."""
    spare = total - sum(minimums)
    wsum = float(sum(weights))
    raw = [spare * w / wsum for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [m + p for m, p in zip(minimums, parts, strict=True)]


class _Planner:
    def __init__(self, seed: int, people: int, today: datetime.date) -> None:
        self.rng = random.Random(seed)
        self.plan = DemoPlan(seed=seed, today=today)
        self.target = people
        self.today = today
        self.child_counts: dict[int, int] = {}

    # -- departments and posts

    def dept(
        self, parent: DeptPlan | None, name: str, kind: str, description: str = ""
    ) -> DeptPlan:
        order = 0
        code = UNIT_CODE
        if parent is not None:
            order = self.child_counts[parent.key] = self.child_counts.get(parent.key, 0) + 1
            code = (
                f"{UNIT_CODE}{order:03d}" if parent.parent is None else f"{parent.code}-{order:02d}"
            )
        d = DeptPlan(
            key=len(self.plan.departments),
            parent=parent.key if parent else None,
            depth=(parent.depth + 1) if parent else 0,
            code=code,
            name=name,
            kind=kind,
            sort_order=order,
            description=description,
        )
        self.plan.departments.append(d)
        return d

    def post(self, dept: DeptPlan, name: str, category: str, post_class: str, duties: str) -> int:
        key = len(self.plan.posts)
        self.plan.posts.append(
            PostPlan(key, dept.key, f"GW{key + 1:05d}", name, category, post_class, duties)
        )
        return key

    def leading_post(self, dept: DeptPlan, name: str, duties: Sequence[str]) -> int:
        return self.post(dept, name, PostCategory.LEADERSHIP, M, _duties(duties))

    # -- people

    def person(
        self,
        *,
        level: int,
        dept: DeptPlan,
        post: int,
        rank: str,
        superior: int | None,
        role: str,
        senior: bool = False,
    ) -> int:
        rng = self.rng
        gender = Gender.MALE if rng.random() < (0.62 if senior else 0.48) else Gender.FEMALE
        years = rng.uniform(8, 30) if senior else rng.triangular(0.6, 30, 6)
        hire = self.today - datetime.timedelta(days=int(years * 365.25))
        key = len(self.plan.people)
        self.plan.people.append(
            PersonPlan(
                key=key,
                level=level,
                employee_no="",
                name=_name(rng, gender),
                gender=gender,
                dept=dept.key,
                post=post,
                rank=rank,
                superior=superior,
                hire_date=hire,
                status_since=hire,
                role=role,
            )
        )
        self.plan.posts[post].headcount += 1
        return key

    def staff(
        self, unit: DeptPlan, templates: Sequence[PostTemplate], n: int, superior: int, level: int
    ) -> None:
        """n staff in a unit, spread over up to four of its post templates."""
        if n <= 0:
            return
        k = max(1, min(len(templates), 4, 1 + n // 5))
        chosen = [templates[i] for i in sorted(self.rng.sample(range(len(templates)), k))]
        post_keys = [
            self.post(unit, t.name, PostCategory.NON_LEADERSHIP, t.post_class, _duties(t.duties))
            for t in chosen
        ]
        for j in range(n):
            i = j if j < k else self.rng.randrange(k)
            self.person(
                level=level,
                dept=unit,
                post=post_keys[i],
                rank=self.rng.choice(RANKS_BY_CLASS[chosen[i].post_class]),
                superior=superior,
                role="staff",
            )

    # -- the whole bureau

    def build(self) -> DemoPlan:
        rng = self.rng
        n_departments = max(len(DEPARTMENTS), -(-self.target // PEOPLE_PER_DEPARTMENT))
        templates: list[tuple[DepartmentTemplate, str]] = [(d, d.name) for d in DEPARTMENTS]
        for i in range(n_departments - len(DEPARTMENTS)):
            area = AREAS[i % len(AREAS)] + ("" if i < len(AREAS) else str(i // len(AREAS) + 1))
            templates.append((SUBCENTRE, SUBCENTRE.name.format(area=area)))

        root = self.dept(
            None, UNIT_NAME, DepartmentKind.UNIT, "市政府工作部门，负责全市政务服务管理。"
        )
        leadership = self.dept(root, "局领导", DepartmentKind.DEPARTMENT, "局党组和局领导班子。")
        leaders: list[int] = []
        for i, (title, rank, _summary, duties) in enumerate(LEADERS):
            post = self.leading_post(leadership, title, duties)
            leaders.append(
                self.person(
                    level=0 if i == 0 else 1,
                    dept=leadership,
                    post=post,
                    rank=rank,
                    superior=leaders[0] if leaders else None,
                    role="leader",
                    senior=True,
                )
            )

        minimums = [_department_minimum(t) for t, _ in templates]
        budget = self.target - len(LEADERS)
        if budget < sum(minimums):
            raise ValueError(f"people must be at least {len(LEADERS) + sum(minimums)}")
        sizes = _split(budget, [t.weight for t, _ in templates], minimums)

        for (t, name), size in zip(templates, sizes, strict=True):
            area = name.removesuffix("政务服务分中心")
            d = self.dept(root, name, DepartmentKind.DEPARTMENT, t.description.format(area=area))
            in_charge = leaders[t.leader if t is not SUBCENTRE else 1 + rng.randrange(3)]
            head_post = self.leading_post(
                d,
                f"{name}{t.chief}",
                (f"主持{name}全面工作，对本部门绩效目标负责。", *_chief_duties(d.description)),
            )
            head = self.person(
                level=2,
                dept=d,
                post=head_post,
                rank="正科",
                superior=in_charge,
                role="head",
                senior=True,
            )
            rest = size - 1
            if rest >= 30:
                deputy_post = self.leading_post(
                    d,
                    f"{name}{t.deputy}",
                    ("协助负责人工作，分管本部门日常业务。", "负责本部门绩效数据审核和内部考勤。"),
                )
                self.person(
                    level=3,
                    dept=d,
                    post=deputy_post,
                    rank="副科",
                    superior=head,
                    role="deputy",
                    senior=True,
                )
                rest -= 1
            named = list(t.sections)
            if not named and rest <= MAX_FLAT_STAFF:
                self.staff(d, t.posts, rest, head, level=3)
                continue
            direct = 2 if named else 0
            self.staff(d, (t.general_post or t.posts[0],), direct, head, level=3)
            rest -= direct
            n_sections = max(len(named), -(-rest // PEOPLE_PER_SECTION))
            per_section = _split(rest, [1.0] * n_sections, [1] * n_sections)
            for i in range(n_sections):
                if i < len(named):
                    st = named[i]
                else:
                    number = chinese_number(t.extra_start + i - len(named) + 1)
                    st = SectionTemplate(t.extra_section.format(n=number), t.extra_chief, ())
                s = self.dept(d, st.name, DepartmentKind.SECTION, st.description)
                chief_post = self.leading_post(
                    s,
                    f"{st.name}{st.chief}",
                    (
                        f"负责{st.name}全面工作，组织完成本科室工作任务。",
                        "对本科室人员进行日常管理和平时考核。",
                        "定期向部门负责人报告工作进展。",
                    ),
                )
                chief = self.person(
                    level=3,
                    dept=s,
                    post=chief_post,
                    rank=rng.choice(("正科", "副科")),
                    superior=head,
                    role="chief",
                    senior=True,
                )
                self.staff(s, st.posts or t.posts, per_section[i] - 1, chief, level=4)

        self._statuses()
        self._numbers()
        self._accounts(root, leaders)
        return self.plan

    def _statuses(self) -> None:
        """A few people in each special status, and new hires, all among the staff."""
        rng, today = self.rng, self.today
        people = self.plan.people
        office = next(d.key for d in self.plan.departments if d.name == "办公室")
        staff = [p.key for p in people if p.role == "staff" and p.dept != office]
        n = len(people)
        each = max(3, n // 150)
        counts = [
            ("new", max(5, n // 40)),
            (PersonStatus.LONG_SICK_LEAVE, each),
            (PersonStatus.MATERNITY_LEAVE, each),
            (PersonStatus.SECONDED, each),
            (PersonStatus.SUSPENDED, max(2, n // 400)),
            (PersonStatus.LEFT, max(2, n // 200)),
        ]
        wanted = min(len(staff), sum(c for _, c in counts))
        chosen = rng.sample(staff, wanted)
        pos = 0
        for status, count in counts:
            for key in chosen[pos : pos + count]:
                p = people[key]
                if status == "new":
                    p.hire_date = today - datetime.timedelta(days=rng.randint(7, 170))
                    p.status_since = p.hire_date
                    continue
                if status == PersonStatus.MATERNITY_LEAVE:
                    p.gender = Gender.FEMALE
                    p.name = _name(rng, Gender.FEMALE)
                days = {
                    PersonStatus.LONG_SICK_LEAVE: (60, 420),
                    PersonStatus.MATERNITY_LEAVE: (15, 150),
                    PersonStatus.SECONDED: (30, 540),
                    PersonStatus.SUSPENDED: (10, 120),
                    PersonStatus.LEFT: (20, 300),
                }[PersonStatus(status)]
                since = today - datetime.timedelta(days=rng.randint(*days))
                if since <= p.hire_date:
                    p.hire_date = since - datetime.timedelta(days=rng.randint(400, 3000))
                p.status = str(status)
                p.status_since = since
                p.is_active = status != PersonStatus.LEFT
            pos += count

    def _numbers(self) -> None:
        # Numbered in plan order, so leaders and heads get the low numbers.
        width = max(4, len(str(len(self.plan.people))))
        for p in self.plan.people:
            p.employee_no = f"ZW{p.key + 1:0{width}d}"

    def _accounts(self, root: DeptPlan, leaders: list[int]) -> None:
        people = self.plan.people
        by_name = {d.name: d for d in self.plan.departments if d.depth <= 2}
        office = by_name["办公室"]
        head = next(p for p in people if p.dept == office.key and p.role == "head")
        employee = next(
            p
            for p in people
            if p.dept == office.key and p.role == "staff" and p.superior == head.key
        )

        def first_staff(dept_name: str) -> int | None:
            """Someone on duty there, preferring plain staff; None in a tiny organization."""
            d = by_name[dept_name]
            keys = {d.key} | {x.key for x in self.plan.departments if x.parent == d.key}
            candidates = [p for p in people if p.dept in keys and p.status == PersonStatus.ACTIVE]
            staff = [p for p in candidates if p.role == "staff"]
            return staff[0].key if staff else None

        self.plan.accounts = [
            DemoAccount("sysadmin", Role.SYSTEM_ADMIN, first_staff("信息化科"), None),
            DemoAccount("perfadmin", Role.PERFORMANCE_ADMIN, first_staff("督查考核科"), root.key),
            DemoAccount("leader", Role.UNIT_LEADER, leaders[0], root.key),
            DemoAccount("head", Role.DEPARTMENT_HEAD, head.key, office.key),
            DemoAccount("employee", "", employee.key, None),
            DemoAccount("auditor", Role.AUDITOR, first_staff("机关党委"), root.key),
        ]


def _department_minimum(t: DepartmentTemplate) -> int:
    """A head, a chief per named section and two department-level staff, or a head and one."""
    return 1 + len(t.sections) + 2 if t.sections else 2


def _duties(lines: Sequence[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _chief_duties(description: str) -> tuple[str, ...]:
    return (
        f"组织落实本部门职责：{description.removeprefix('负责')}",
        "制定本部门年度工作计划和绩效目标，分解到科室和个人。",
        "对本部门人员进行考核评价，做好绩效面谈和改进指导。",
        "落实本部门党风廉政建设和安全生产责任。",
    )


def plan_demo(
    *, seed: int = DEFAULT_SEED, people: int = DEFAULT_PEOPLE, today: datetime.date | None = None
) -> DemoPlan:
    """Lay out the bureau; pure and deterministic for a given seed, head count and date."""
    return _Planner(seed, people, today or datetime.date.today()).build()


# ---------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class DemoResult:
    built: bool
    departments: int
    posts: int
    people: int
    seconds: float
    accounts: list[tuple[str, str, str]]  # (username, label, person name)


def org_is_empty() -> bool:
    return not Department.objects.exists()


ACCOUNT_LABELS = {
    "sysadmin": "系统管理员 System administrator",
    "perfadmin": "绩效管理员（考核办） Performance administrator",
    "leader": "单位领导（局长） Unit leader",
    "head": "部门负责人（办公室主任） Department head",
    "employee": "普通员工（办公室） Employee",
    "auditor": "审计（机关纪委） Auditor",
}


def demo_usernames() -> list[str]:
    return list(ACCOUNT_LABELS)


def delete_org() -> None:
    """Delete all organization data (role grants, status history, people, posts, departments).

    Set-based DELETE statements, no per-row work. Audit records are immutable and stay; demo
    users stay too (audit records point at them) and are reset by the next build.
    """
    with connection.cursor() as cursor:
        for model in (RoleGrant, PersonStatusChange, Person, Post):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        # Children first: the parent link is PROTECT and SQLite checks it row by row.
        table = connection.ops.quote_name(Department._meta.db_table)
        depth = Department.objects.order_by("-depth").values_list("depth", flat=True).first()
        for level in range(depth or 0, -1, -1):
            cursor.execute(f"DELETE FROM {table} WHERE depth = %s", [level])


def _set_paths(depth: int) -> None:
    """One UPDATE per tree level: path = parent's path + own id + "/"."""
    own = Concat(Cast("id", CharField()), Value("/"))
    if depth == 0:
        Department.objects.filter(depth=0, path="").update(path=Concat(Value("/"), own))
        return
    parent_path = Subquery(Department.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    Department.objects.filter(depth=depth, path="").update(
        path=Concat(parent_path, own, output_field=CharField())
    )


def _insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Insert plain rows: COPY on PostgreSQL, executemany elsewhere (SQLite).

    Django's bulk_create spends most of its time building model instances and preparing each
    value; for 100,000 people these paths are several times faster. Values must already be in
    database form (see `_date`).
    """
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        ops.quote_name(str(cast(Field[Any, Any], model._meta.get_field(f)).column)) for f in fields
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no COPY
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        for chunk in itertools.batched(rows, INSERT_CHUNK):
            cursor.executemany(sql, cast(Any, chunk))


def _date(value: datetime.date | None) -> object:
    return connection.ops.adapt_datefield_value(value)


def write_plan(plan: DemoPlan, *, password: str = DEMO_PASSWORD) -> dict[str, int]:
    """Write a plan into an empty organization. Call inside a transaction."""
    dept_ids: dict[int, int] = {}
    max_depth = max(d.depth for d in plan.departments)
    for depth in range(max_depth + 1):
        level = [d for d in plan.departments if d.depth == depth]
        objs = [
            Department(
                code=d.code,
                name=d.name,
                kind=d.kind,
                parent_id=dept_ids[d.parent] if d.parent is not None else None,
                depth=d.depth,
                sort_order=d.sort_order,
                description=d.description,
            )
            for d in level
        ]
        Department.objects.bulk_create(objs, batch_size=BATCH)
        for d, obj in zip(level, objs, strict=True):
            assert obj.pk is not None
            dept_ids[d.key] = obj.pk
        _set_paths(depth)

    _insert(
        Post,
        [
            "code",
            "name",
            "department",
            "category",
            "post_class",
            "duties",
            "headcount",
            "is_active",
            "version",
        ],
        (
            (
                p.code,
                p.name,
                dept_ids[p.dept],
                p.category,
                p.post_class,
                p.duties,
                max(1, p.headcount),
                True,
                1,
            )
            for p in plan.posts
        ),
    )
    codes = dict(Post.objects.values_list("code", "id"))
    post_ids = [codes[p.code] for p in plan.posts]

    users = _demo_users(plan, password)
    user_for_person = {
        a.person: users[a.username].pk for a in plan.accounts if a.person is not None
    }

    person_ids: dict[int, int] = {}
    person_fields = [
        "employee_no",
        "name",
        "gender",
        "user",
        "department",
        "post",
        "rank",
        "superior",
        "hire_date",
        "status",
        "status_since",
        "email",
        "phone",
        "is_active",
        "version",
    ]
    for people_level in sorted({p.level for p in plan.people}):
        batch = [p for p in plan.people if p.level == people_level]
        _insert(
            Person,
            person_fields,
            (
                (
                    p.employee_no,
                    p.name,
                    p.gender,
                    user_for_person.get(p.key),
                    dept_ids[p.dept],
                    post_ids[p.post],
                    p.rank,
                    person_ids[p.superior] if p.superior is not None else None,
                    _date(p.hire_date),
                    p.status,
                    _date(p.status_since),
                    f"{p.employee_no.lower()}@zwj.example.gov.cn",
                    "",
                    p.is_active,
                    1,
                )
                for p in batch
            ),
        )
        # Superiors are always on an earlier level, so ids are only needed once per level.
        numbers = dict(Person.objects.values_list("employee_no", "id"))
        for p in batch:
            person_ids[p.key] = numbers[p.employee_no]

    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def history() -> Iterator[tuple[object, ...]]:
        for p in plan.people:
            pid = person_ids[p.key]
            if p.status == PersonStatus.ACTIVE or p.status_since is None:
                yield (pid, PersonStatus.ACTIVE.value, _date(p.hire_date), None, "", now)
            else:
                yield (
                    pid,
                    PersonStatus.ACTIVE.value,
                    _date(p.hire_date),
                    _date(p.status_since),
                    "",
                    now,
                )
                yield (pid, p.status, _date(p.status_since), None, "演示数据", now)

    _insert(
        PersonStatusChange,
        ["person", "status", "start_date", "end_date", "note", "recorded_at"],
        history(),
    )
    status_changes = PersonStatusChange.objects.count()

    RoleGrant.objects.bulk_create(
        [
            RoleGrant(
                user_id=users[a.username].pk,
                role=a.role,
                scope_id=dept_ids[a.scope] if a.scope is not None else None,
            )
            for a in plan.accounts
            if a.role
        ]
    )
    return {
        "root": dept_ids[0],
        "departments": len(dept_ids),
        "posts": len(post_ids),
        "people": len(person_ids),
        "status_changes": status_changes,
    }


def _demo_users(plan: DemoPlan, password: str) -> dict[str, User]:
    """Create the demo users, or reset the ones a previous build left (audit records use them)."""
    hashed = make_password(password)  # hashed once: argon2 is deliberately slow
    names = {a.person: plan.people[a.person].name for a in plan.accounts if a.person is not None}
    existing = {u.username: u for u in User.objects.filter(username__in=demo_usernames())}
    to_update: list[User] = []
    to_create: list[User] = []
    for a in plan.accounts:
        display = names.get(a.person, a.username) if a.person is not None else a.username
        user = existing.get(a.username)
        if user is None:
            to_create.append(User(username=a.username, password=hashed, display_name=display))
        else:
            user.password, user.display_name, user.is_active = hashed, display, True
            to_update.append(user)
    User.objects.bulk_create(to_create)
    if to_update:
        User.objects.bulk_update(to_update, ["password", "display_name", "is_active"])
    Person.objects.filter(user__username__in=demo_usernames()).update(user=None)
    return {u.username: u for u in User.objects.filter(username__in=demo_usernames())}


def build_demo(
    *,
    seed: int = DEFAULT_SEED,
    people: int = DEFAULT_PEOPLE,
    reset: bool = False,
    if_empty: bool = False,
    today: datetime.date | None = None,
    password: str = DEMO_PASSWORD,
) -> DemoResult:
    """Build the demo organization. With `if_empty`, do nothing when one exists; with `reset`,
    delete the organization first. Without either, refuse to touch an existing organization."""
    started = time.perf_counter()
    with transaction.atomic(durable=True):
        empty = org_is_empty()
        if not empty and if_empty:
            return DemoResult(False, 0, 0, 0, time.perf_counter() - started, existing_accounts())
        if not empty and not reset:
            raise OrganizationExists()
        plan = plan_demo(seed=seed, people=people, today=today)
        if not empty:
            for extension in demo_extensions():
                extension.clear()  # their rows refer to the people and departments
            delete_org()
        counts = write_plan(plan, password=password)
        root = Department.objects.get(pk=counts["root"])
        audit.record(
            Actor.system(label="jixiao demo", source="cli"),
            "org.demo.build",
            root,
            {
                "seed": [None, seed],
                "people": [None, counts["people"]],
                "departments": [None, counts["departments"]],
                "posts": [None, counts["posts"]],
                "reset": [None, not empty],
            },
        )
    return DemoResult(
        True,
        counts["departments"],
        counts["posts"],
        counts["people"],
        time.perf_counter() - started,
        existing_accounts(),
    )


@dataclass(frozen=True, slots=True)
class DemoExtension:
    """Demo data of a higher domain (goals, …), which org may not import: the domain
    registers itself from its AppConfig.ready(). `build(seed, today)` runs after `manage.py
    demo` has built the organization and returns a line to print; `clear()` deletes the
    domain's data before the organization is deleted for a rebuild."""

    name: str
    build: Callable[[int, datetime.date], str]
    clear: Callable[[], None]


_extensions: dict[str, DemoExtension] = {}


def register_demo_extension(extension: DemoExtension) -> None:
    _extensions[extension.name] = extension


def demo_extensions() -> list[DemoExtension]:
    return list(_extensions.values())


class OrganizationExists(Exception):
    """The database already holds an organization and neither reset nor if_empty was asked."""


def existing_accounts() -> list[tuple[str, str, str]]:
    """The demo accounts present in the database: (username, role label, person name)."""
    rows = {
        u.username: u.display_name
        for u in User.objects.filter(username__in=demo_usernames(), is_active=True)
    }
    return [(name, ACCOUNT_LABELS[name], rows[name]) for name in demo_usernames() if name in rows]
