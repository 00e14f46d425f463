"""Vocabulary for the demo seed: obviously synthetic people and places, and the subject areas
petitions actually concern (DESIGN §8), with the odds a petition office sees them at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from caseflow.domain.values import Category, Channel, LegalChannel, OrgLevel

SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "建国",
    "桂英",
    "玉兰",
    "志强",
)
PLACES = (
    "东湖",
    "西山",
    "南河",
    "北塘",
    "青石",
    "白沙",
    "红岭",
    "金田",
    "银桥",
    "松林",
    "柳溪",
    "梅岭",
    "桃源",
    "竹园",
    "石门",
    "清水",
    "长乐",
    "永安",
    "新丰",
    "平安",
)
CITY_STEMS = "甲乙丙丁戊己"
TOWN_SUFFIXES = ("镇", "乡", "街道")

TITLES = {
    OrgLevel.PROVINCE: ("副省长", "省信访局局长", "省政府秘书长"),
    OrgLevel.CITY: ("市长", "副市长", "市信访局局长"),
    OrgLevel.COUNTY: ("县长", "副县长", "县信访局局长"),
    OrgLevel.TOWNSHIP: ("镇长", "党委书记"),
}

# (weight, channel) — online and visits dominate; fax survives in a few offices
CHANNELS = (
    (34, Channel.ONLINE),
    (30, Channel.VISIT),
    (20, Channel.LETTER),
    (13, Channel.PHONE),
    (3, Channel.FAX),
)

# Where petitions are first registered: mostly at the grassroots, some skip a level or two.
RECEIVING_LEVELS = (
    (45, OrgLevel.TOWNSHIP),
    (35, OrgLevel.COUNTY),
    (15, OrgLevel.CITY),
    (5, OrgLevel.PROVINCE),
)


@dataclass(frozen=True)
class Subject:
    area: str
    subject: str
    request: str
    category: Category
    weight: int
    collective_odds: float = 0.04
    legal: LegalChannel | None = None  # 涉法涉诉: routed to this channel (诉访分离)


SUBJECTS = (
    Subject(
        "征地拆迁",
        "农村土地征用补偿标准争议",
        "请求按标准足额发放征地补偿款",
        Category.APPEAL,
        14,
        0.15,
    ),
    Subject(
        "征地拆迁", "城市房屋拆迁安置", "请求落实拆迁安置房源和过渡费", Category.APPEAL, 8, 0.12
    ),
    Subject("劳动就业", "拖欠农民工工资", "请求督促企业支付拖欠工资", Category.APPEAL, 12, 0.2),
    Subject("劳动就业", "解除劳动合同经济补偿", "请求依法支付经济补偿金", Category.APPEAL, 5),
    Subject("社会保障", "最低生活保障资格认定", "请求重新核定低保资格", Category.APPEAL, 8),
    Subject("社会保障", "养老保险关系转移接续", "请求办理养老保险转移", Category.APPEAL, 4),
    Subject(
        "企业改制", "改制企业退休人员待遇", "请求落实改制后退休人员待遇", Category.APPEAL, 6, 0.35
    ),
    Subject(
        "城乡建设",
        "小区物业与公共维修资金",
        "建议规范物业管理和维修资金使用",
        Category.SUGGESTION,
        6,
        0.1,
    ),
    Subject("城乡建设", "道路施工噪声扰民", "请求限制夜间施工", Category.APPEAL, 4, 0.08),
    Subject("农业农村", "土地承包经营权纠纷", "请求确认土地承包经营权", Category.APPEAL, 6),
    Subject(
        "农业农村", "村务公开与集体资金使用", "检举村干部侵占集体资金", Category.ACCUSATION, 5, 0.1
    ),
    Subject("自然资源", "违法占用耕地建房", "检举违法占地建房", Category.ACCUSATION, 4),
    Subject("自然资源", "采砂破坏河道", "检举非法采砂", Category.ACCUSATION, 2),
    Subject("涉灾救助", "洪涝灾害救助款发放", "请求核实并发放救助款", Category.APPEAL, 3),
    Subject("金融", "非法集资资金清退", "请求追缴并清退集资款", Category.APPEAL, 3, 0.4),
    Subject("公共服务", "农村饮水安全", "建议改善农村饮水设施", Category.SUGGESTION, 3),
    Subject("公共服务", "增设公交线路", "建议增设通往乡镇的公交线路", Category.SUGGESTION, 2),
    Subject(
        "涉法涉诉",
        "民间借贷纠纷判决执行",
        "请求法院强制执行判决",
        Category.APPEAL,
        3,
        legal=LegalChannel.LITIGATION,
    ),
    Subject(
        "涉法涉诉",
        "劳动争议仲裁",
        "请求裁决劳动争议",
        Category.APPEAL,
        2,
        legal=LegalChannel.ARBITRATION,
    ),
    Subject(
        "涉法涉诉",
        "行政处罚决定不服",
        "请求撤销行政处罚决定",
        Category.APPEAL,
        2,
        legal=LegalChannel.ADMINISTRATIVE_REVIEW,
    ),
)

REJECT_REASONS = ("不属于信访事项受理范围", "信访事项已经受理或者正在办理", "诉求缺乏事实依据")
REPEAT_OF_FINAL_REASON = "同一事实和理由，复核意见已作出，不再受理"
REPLIES = {
    "supported": "经调查核实，诉求合理，予以支持并已落实。",
    "explained": "经调查核实，已向信访人解释政策依据。",
    "not_supported": "经调查核实，诉求缺乏依据，不予支持。",
}


def person_name(n: int) -> str:
    """测试-张伟: the prefix marks every generated person as synthetic."""
    return f"测试-{SURNAMES[n % len(SURNAMES)]}{GIVEN[(n // len(SURNAMES)) % len(GIVEN)]}"


def id_number(n: int, born: date) -> str:
    """All-zero region code and a TEST marker in place of sequence and check digits."""
    return f"000000{born:%Y%m%d}TEST"


def phone(n: int) -> str:
    """100- numbers are not allocated to subscribers."""
    return f"100-{n // 10_000 % 10_000:04d}-{n % 10_000:04d}"


def address(place: str, n: int) -> str:
    return f"测试{place}{n % 97 + 1}号测试路{n % 31 + 1}号"
