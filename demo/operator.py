"""A synthetic operator: six channel source systems describing the same people, each in its own way.

Deterministic per seed (every person draws from a generator seeded by ``seed`` and its number)
and streaming (rows are written as each person is made), so a million people take flat memory.
``truth.csv`` says which customer records are the same real customer. Truth follows the
operator's definition: a customer lives in one local network, so a person who also holds a
record in another city is, for the operator, a different customer there.
"""

from __future__ import annotations

import csv
import itertools
import math
import multiprocessing
import os
import random
import shutil
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import opencc
import orjson
from pypinyin import Style, lazy_pinyin

from app.record_kinds import KINDS
from app.resolution.normalise import credit_code_check_character, resident_id_check_character
from app.vocabulary import RECORD_KINDS

# ------------------------------------------------------------------ the world


@dataclass(frozen=True, slots=True)
class City:
    name: str
    area_code: str
    districts: tuple[tuple[str, str], ...]  # (district name with suffix, resident-id region code)
    streets: tuple[str, ...]


PROVINCE = "福建省"
CITIES = (
    City(
        "福州",
        "0591",
        (("鼓楼区", "350102"), ("台江区", "350103"), ("仓山区", "350104"), ("晋安区", "350111"), ("马尾区", "350105")),
        ("五四路", "八一七北路", "湖东路", "华林路", "工业路", "福新路", "六一路", "东街", "杨桥路", "温泉路"),
    ),
    City(
        "厦门",
        "0592",
        (("思明区", "350203"), ("湖里区", "350206"), ("集美区", "350211"), ("海沧区", "350205")),
        ("中山路", "厦禾路", "湖滨南路", "嘉禾路", "仙岳路", "莲前东路", "鹭江道", "金尚路"),
    ),
    City(
        "泉州",
        "0595",
        (("鲤城区", "350502"), ("丰泽区", "350503"), ("洛江区", "350504")),
        ("中山路", "温陵路", "刺桐路", "泉秀路", "丰泽街", "津淮街"),
    ),
    City(
        "漳州", "0596", (("芗城区", "350602"), ("龙文区", "350603")), ("胜利路", "延安路", "新华路", "瑞京路", "大通路")
    ),
    City(
        "莆田",
        "0594",
        (("城厢区", "350302"), ("涵江区", "350303")),
        ("文献路", "荔城大道", "梅园路", "东圳路", "学园路"),
    ),
)
CITY_WEIGHTS = (35, 28, 20, 10, 7)
BIRTH_REGIONS_ELSEWHERE = ("330106", "110105", "440304", "360102", "430104", "510107", "320102", "420106")

# Surnames with their shares of the population (percent), most common first.
SURNAMES = (
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 5.3),
    ("杨", 3.1),
    ("黄", 3.0),
    ("林", 2.8),
    ("吴", 2.0),
    ("赵", 2.0),
    ("周", 1.9),
    ("郑", 1.5),
    ("徐", 1.5),
    ("孙", 1.4),
    ("朱", 1.1),
    ("胡", 1.1),
    ("郭", 1.1),
    ("何", 1.0),
    ("高", 1.0),
    ("罗", 0.9),
    ("许", 0.9),
    ("蔡", 0.8),
    ("谢", 0.8),
    ("曾", 0.7),
    ("叶", 0.7),
    ("苏", 0.6),
    ("卢", 0.6),
    ("庄", 0.5),
    ("江", 0.5),
    ("游", 0.4),
    ("邱", 0.4),
    ("方", 0.4),
    ("潘", 0.4),
    ("魏", 0.4),
    ("柯", 0.3),
    ("余", 0.3),
    ("欧阳", 0.1),
    ("上官", 0.05),
    ("司马", 0.03),
)
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 辉 玲 桂 英 华 建 国 文 斌 鑫 宇 浩 凯 婷 雪 琳 晨 欣 "
    "怡 佳 思 梓 子 涵 轩 雨 博 晓 燕 红 志 春 秀 兰 海 峰 清 龙 飞 亮 俊 丹 萍 坤 荣 毅 嘉 颖 慧 瑶 鹏 彬 锋 "
    "振 宏 杨 阳 林 霖 琪 祺 其 奇 婧 晶 菁 精 京 景 敬 靖 威 维 薇 蔚 为 卫 玮 嘉 佳 家 新 欣 馨 心 昕"
).split()
LOOK_ALIKE = {
    "己": "已",
    "王": "玉",
    "未": "末",
    "土": "士",
    "日": "曰",
    "人": "入",
    "候": "侯",
    "贝": "见",
    "建": "健",
    "清": "青",
    "晶": "品",
    "博": "傅",
    "杨": "扬",
    "林": "材",
    "明": "朋",
}
MOBILE_PREFIXES = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
    "173",
    "199",
    "191",
    "198",
    "166",
)
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "139.com", "sina.com", "189.cn", "foxmail.com")
COMPOUNDS = ("花园", "新村", "小区", "公寓", "家园", "苑")
COMPOUND_WORDS = ("华林", "金山", "阳光", "碧水", "东方", "锦江", "海湾", "紫阳", "温泉", "榕城", "鹭岛", "丽景")
BRANDS = (
    "恒信",
    "瑞丰",
    "宏达",
    "鑫源",
    "华通",
    "天成",
    "永盛",
    "嘉禾",
    "泰和",
    "海峡",
    "闽江",
    "盛世",
    "东南",
    "新创",
)
INDUSTRIES = (
    "电子科技",
    "贸易",
    "物流",
    "建设工程",
    "食品",
    "医药",
    "信息技术",
    "纺织",
    "机械",
    "餐饮管理",
    "物业管理",
)
FORMS = ("有限公司", "股份有限公司", "有限责任公司")
SHOPS = ("小吃店", "便利店", "五金店", "理发店", "水果店", "茶叶店", "服装店", "快递驿站")
BUREAUS = ("教育局", "卫生健康委员会", "人民医院", "第一中学", "税务局", "交通运输局")
OFFERINGS = (
    ("M58", "畅享58元套餐", "mobile"),
    ("M98", "畅享98元套餐", "mobile"),
    ("M199", "全家享199元", "mobile"),
    ("B100", "百兆宽带", "broadband"),
    ("B1000", "千兆宽带", "broadband"),
    ("TV1", "天翼高清", "iptv"),
    ("F1", "固话基础", "fixed"),
)
OFFERINGS_BY_PRODUCT = {
    product: [o for o in OFFERINGS if o[2] == product] for product in ("mobile", "fixed", "broadband")
}
BUNDLE = ("BND299", "融合套餐299元")
TO_TRADITIONAL = opencc.OpenCC("s2t")
REFERENCE_DAY = date(2026, 11, 1)
REFERENCE_MIDNIGHT = datetime.combine(REFERENCE_DAY, datetime.min.time())
# Where `c360 run` starts the clock on demo data, so the demo's star levels, due work and breaches are
# the same whenever it is run. The reference day is a Sunday, and every existing row's dates hang on
# it, so it stays; the clock starts on the next working day's morning (Monday 2 November 2026, 09:30
# Beijing time), when the managers' day plans have work: first visits, calls, birthdays, retries of
# unanswered calls, open cases near or past their limits.
CLOCK_DAY = REFERENCE_DAY + timedelta(days=1)
CLOCK_START = datetime.combine(CLOCK_DAY, time(9, 30), tzinfo=timezone(timedelta(hours=8)))
CLOCK_START_LOCAL = CLOCK_START.replace(tzinfo=None)  # the same moment as the files write it (+08:00)
REFERENCE_FILE = "reference.json"
MONTHS = tuple(
    f"{(REFERENCE_DAY.year * 12 + REFERENCE_DAY.month - 1 - k) // 12}-"
    f"{(REFERENCE_DAY.year * 12 + REFERENCE_DAY.month - 1 - k) % 12 + 1:02d}"
    for k in range(6, 0, -1)
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _homophones() -> dict[str, list[str]]:
    by_sound: dict[str, list[str]] = {}
    for char in dict.fromkeys(GIVEN + [s for s, _ in SURNAMES if len(s) == 1]):
        by_sound.setdefault(lazy_pinyin(char, style=Style.NORMAL)[0], []).append(char)
    return {c: [o for o in group if o != c] for group in by_sound.values() for c in group if len(group) > 1}


HOMOPHONES = _homophones()

# ------------------------------------------------------------------ sources and their habits


@dataclass(frozen=True, slots=True)
class SourceHabits:
    """How one channel system records customers: its coverage and its typical mistakes (rates 0-1)."""

    name: str
    prefix: str
    coverage: float
    no_certificate: float
    homophone: float = 0.0
    look_alike: float = 0.0
    traditional: float = 0.0
    name_spaces: float = 0.0
    full_width: float = 0.0
    old_id: float = 0.0
    old_phone: float = 0.0
    abbreviated_address: float = 0.0
    no_address: float = 0.0
    no_email: float = 0.6
    duplicate: float = 0.0
    encoding: str = "utf-8"


SOURCES = (
    SourceHabits("crm", "C", 0.96, 0.05, traditional=0.005, old_id=0.05, abbreviated_address=0.05, duplicate=0.01),
    SourceHabits(
        "hall",
        "H",
        0.35,
        0.06,
        look_alike=0.01,
        traditional=0.04,
        name_spaces=0.04,
        full_width=0.06,
        old_id=0.25,
        old_phone=0.05,
        abbreviated_address=0.3,
        encoding="gb18030",
    ),
    SourceHabits("hotline", "T", 0.30, 0.25, homophone=0.06, old_phone=0.04, no_address=0.5, no_email=0.9),
    SourceHabits(
        "web",
        "W",
        0.30,
        0.10,
        look_alike=0.01,
        name_spaces=0.02,
        full_width=0.08,
        abbreviated_address=0.6,
        no_email=0.05,
    ),
    SourceHabits("am_app", "A", 0.0, 0.03, abbreviated_address=0.4, no_email=0.3),
    SourceHabits(
        "agent",
        "G",
        0.15,
        0.15,
        homophone=0.02,
        look_alike=0.03,
        old_phone=0.10,
        abbreviated_address=0.7,
        no_address=0.2,
        duplicate=0.01,
    ),
)
# Files in load order: a kind's references are loaded before it.
ORDER = RECORD_KINDS
# What a lead or an opportunity is about (demo products).
PRODUCTS = ("5G畅享套餐", "千兆宽带", "融合套餐", "天翼看家", "国际漫游包", "云电脑")
OPPORTUNITY_NEEDS = ("purchase", "consultation", "renewal")

# ------------------------------------------------------------------ people and organisations


@dataclass(slots=True)
class Entity:
    """One real customer of the operator (a person, household or organisation in one local network)."""

    person_id: str
    segment: str
    name: str
    city: City
    district: str
    address: str
    phones: list[str]
    old_phones: list[str] = field(default_factory=list)
    cert_type: str = "blank"
    cert_no: str = ""
    birth_date: str = ""
    gender: str = ""
    email: str = ""
    org_class: str = ""
    vip_card: str = ""
    spend: float = 50.0
    members: list[Entity] = field(default_factory=list)


_SURNAME_NAMES = [s for s, _ in SURNAMES]
_SURNAME_CUMULATIVE = list(itertools.accumulate(w for _, w in SURNAMES))
_CITY_CUMULATIVE = list(itertools.accumulate(CITY_WEIGHTS))


# Core agents per local network, and the hand-off's other staff per network: (source, role, key).
CORE_AGENTS = 2
STAFF_PER_NETWORK = 2
CHANNEL_STAFF = (
    ("hotline", "phone_account_manager", "phone_account_manager"),
    ("crm", "operations", "operations"),
)


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_NAMES, cum_weights=_SURNAME_CUMULATIVE)[0]


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _fixed(rng: random.Random, city: City) -> str:
    return f"{city.area_code}-{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"


def _resident_id(rng: random.Random, region: str, born: date, gender: str) -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_character(first17)


def _credit_code(rng: random.Random, region: str, kind: str) -> str:
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = kind + region + "".join(rng.choice(charset) for _ in range(9))
    return first17 + credit_code_check_character(first17)


def _address(rng: random.Random, city: City, district: str) -> str:
    street = rng.choice(city.streets)
    compound = rng.choice(COMPOUND_WORDS) + rng.choice(COMPOUNDS)
    return (
        f"{PROVINCE}{city.name}市{district}{street}{rng.randrange(1, 400)}号{compound}"
        f"{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}室"
    )


def _email(rng: random.Random, name: str) -> str:
    style = rng.random()
    if style < 0.4:
        local = f"{rng.randrange(10**5, 10**10)}"
    else:
        local = "".join(lazy_pinyin(name)) + (str(rng.randrange(1, 999)) if style < 0.8 else "")
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"


def _person(rng: random.Random, person_id: str, city: City, name: str | None = None) -> Entity:
    surname = _surname(rng)
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    gender = rng.choice("MF")
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 66))
    district, region = rng.choice(city.districts)
    if rng.random() < 0.2:
        region = rng.choice(BIRTH_REGIONS_ELSEWHERE)
    person = Entity(
        person_id,
        "individual",
        name or surname + given,
        city,
        district,
        _address(rng, city, district),
        [_mobile(rng)],
        cert_type="resident_id",
        cert_no=_resident_id(rng, region, born, gender),
        birth_date=born.isoformat(),
        gender=gender,
        spend=round(rng.lognormvariate(4.0, 0.6), 2),
    )
    if rng.random() < 0.25:
        person.phones.append(_mobile(rng))
    if rng.random() < 0.15:
        person.phones.append(_fixed(rng, city))
    if rng.random() < 0.12:
        person.old_phones.append(_mobile(rng))
    if rng.random() < 0.6:
        person.email = _email(rng, person.name)
    if person.spend > 150:
        person.vip_card = "diamond" if person.spend > 400 else "gold" if person.spend > 250 else "silver"
    return person


def _organisation(rng: random.Random, person_id: str, city: City, segment: str) -> Entity:
    district, region = rng.choice(city.districts)
    if segment == "government":
        name = f"{city.name}市{district}{rng.choice(BUREAUS)}"
        code = _credit_code(rng, region, "11")
    elif segment == "small_business":
        name = f"{district}{rng.choice(SURNAMES[:20])[0]}记{rng.choice(SHOPS)}"
        code = _credit_code(rng, region, "92")
    else:
        name = f"{city.name}{rng.choice(BRANDS)}{rng.choice(INDUSTRIES)}{rng.choice(FORMS)}"
        code = _credit_code(rng, region, "91")
    org = Entity(
        person_id,
        segment,
        name,
        city,
        district,
        _address(rng, city, district),
        [_fixed(rng, city)],
        cert_type="credit_code",
        cert_no=code,
        spend=round(rng.lognormvariate(6.0, 0.8), 2),
    )
    if segment != "small_business":
        org.org_class = rng.choices("ABCD", weights=(5, 15, 40, 40))[0]
        org.email = f"office@{''.join(lazy_pinyin(rng.choice(BRANDS)))}{rng.randrange(100)}.com.cn"
        org.vip_card = "diamond" if org.org_class in "AB" else ""
    else:
        org.phones.append(_mobile(rng))
    return org


def _household(rng: random.Random, person_id: str, city: City) -> Entity:
    head = _person(rng, person_id, city)
    return Entity(
        person_id,
        "household",
        head.name + "家庭",
        city,
        head.district,
        head.address,
        [_fixed(rng, city)],
        spend=round(rng.lognormvariate(4.5, 0.5), 2),
    )


# ------------------------------------------------------------------ noise


def _swap_char(rng: random.Random, name: str, table: dict[str, Any]) -> str:
    spots = [i for i, c in enumerate(name) if c in table and i > 0] or [i for i, c in enumerate(name) if c in table]
    if not spots:
        return name
    i = rng.choice(spots)
    choice = table[name[i]]
    return name[:i] + (rng.choice(choice) if isinstance(choice, list) else choice) + name[i + 1 :]


def _abbreviate(rng: random.Random, address: str) -> str:
    short = address.replace(PROVINCE, "" if rng.random() < 0.7 else "福建")
    if rng.random() < 0.5:
        short = short.replace("市", "", 1)
    if rng.random() < 0.3:
        short = short.replace("区", "", 1)
    cut = short.find("号")
    if cut > 0 and rng.random() < 0.5:
        short = short[: cut + 1]
    return short


def _spaced(rng: random.Random, name: str) -> str:
    return name[0] + " " + name[1:] if len(name) > 1 else name


def _noisy_record(rng: random.Random, entity: Entity, habits: SourceHabits) -> dict[str, str]:
    name = entity.name
    individual = entity.segment == "individual"
    if individual and rng.random() < habits.homophone:
        name = _swap_char(rng, name, HOMOPHONES)
    if individual and rng.random() < habits.look_alike:
        name = _swap_char(rng, name, LOOK_ALIKE)
    if not individual and habits.name == "am_app" and rng.random() < 0.5:
        for form in FORMS:
            name = name.removesuffix(form)
    if rng.random() < habits.traditional:
        name = TO_TRADITIONAL.convert(name)
    if individual and rng.random() < habits.name_spaces:
        name = _spaced(rng, name)
    cert_type, cert_no = entity.cert_type, entity.cert_no
    if cert_type != "blank" and rng.random() < habits.no_certificate:
        cert_type, cert_no = "blank", ""
    elif cert_type == "resident_id" and entity.birth_date < "1985" and rng.random() < habits.old_id:
        cert_no = cert_no[:6] + cert_no[8:17]
    phones = list(entity.phones)
    if entity.old_phones and rng.random() < habits.old_phone:
        phones = entity.old_phones + phones[1:]
    elif len(phones) > 1 and rng.random() < 0.3:
        phones = phones[:1]
    address = "" if rng.random() < habits.no_address else entity.address
    if address and rng.random() < habits.abbreviated_address:
        address = _abbreviate(rng, address)
    if rng.random() < habits.traditional:
        address = TO_TRADITIONAL.convert(address)
    if rng.random() < habits.full_width:
        cert_no = cert_no.translate(FULL_WIDTH)
        phones = [p.translate(FULL_WIDTH) for p in phones]
    elif rng.random() < 0.1:
        phones = [f"+86 {p}" if len(p) == 11 else p for p in phones]
    email = "" if rng.random() < habits.no_email else entity.email
    birth_date = entity.birth_date if rng.random() > 0.2 or habits.name == "crm" else ""
    updated = datetime(2020, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 365 * 6))
    return {
        "name": name,
        "cert_type": cert_type,
        "cert_no": cert_no,
        "phones": ";".join(phones),
        "email": email,
        "address": address,
        "birth_date": birth_date,
        "gender": entity.gender if rng.random() > 0.1 else "",
        "local_network": entity.city.area_code,
        "segment": entity.segment,
        "org_class": entity.org_class,
        "vip_card": entity.vip_card if habits.name in ("crm", "am_app") else "",
        "updated_at": updated.isoformat(timespec="seconds") + "+08:00",
    }


# ------------------------------------------------------------------ service standards (issue 20)
# The data that exercises the operator's service standards (docs/service-standards.md): points, brands,
# VIP cards with their days, the manner of contacts, cases with their events, churn signals and leaves.
# Every value here comes from a stream of its own (f"{seed}:{number}:service", f"{seed}:leaves") or a
# hash of a row's id, never from the streams above: the rows generated before these existed keep every
# value (the resolution benchmarks and tests compare against them), and the new rows count their ids
# apart (Generator.service_id).

GOTONE = "全球通"
# The mobile brands of customers not on 全球通: the youth brand for those born from 1990, else 神州行.
YOUTH_BRAND, BASIC_BRAND = "动感地带", "神州行"
# Points (积分) a yuan of spend earns in a year, the median of a lognormal spread: individuals and
# households, and organisations (whose spend is far higher). Some reach the six-star line (50,000).
POINTS_PER_YUAN = {"person": 14.0, "organisation": 3.0}
COMPETITOR_HOTLINES = (("10010", "中国联通客服"), ("10000", "中国电信客服"))
FAULTS = ("宽带断网", "宽带网速慢", "光猫指示灯异常", "宽带频繁掉线")
PAUSE_REASONS = ("waiting_for_customer", "waiting_for_customer", "waiting_for_support", "customer_abroad")
CASE_SUMMARIES = {
    "consultation": ("咨询套餐资费", "咨询国际漫游开通", "咨询积分兑换", "咨询宽带提速"),
    "complaint": ("投诉话费异常", "投诉宽带故障未修复", "投诉营业厅服务态度", "投诉不明扣费"),
    "phone_business": ("电话办理套餐变更", "电话办理停开机", "电话办理副卡"),
    "emergency": ("紧急复机", "紧急补卡", "紧急开通国际漫游"),
}
CHURN_SIGNALS = {
    "spend_drop": "消费骤降",
    "competitor_hotline": "拨打竞争对手客服热线",
    "repeated_faults": "宽带多次报障",
    "contract_expiry": "合约即将到期",
    "manager": "客户经理发现流失倾向",
}
# The cases each source opens, with their weights; the channel each source is.
CASE_KINDS_BY_SOURCE = {
    "hotline": (("consultation", 4), ("complaint", 3), ("phone_business", 3)),
    "hall": (("consultation", 5), ("complaint", 4)),
    "am_app": (("complaint", 2), ("phone_business", 3), ("emergency", 3), ("consultation", 2)),
}
CHANNEL_OF_SOURCE = {"hotline": "hotline", "hall": "service_hall", "am_app": "account_manager"}
PREFIX_OF_SOURCE = {s.name: s.prefix for s in SOURCES}
# The limits of docs/service-standards.md (app/config/rules.toml [sla]): the work's, in minutes, and
# telling the customer's after the final answer (complaints) or the solution.
WORK_LIMIT = {"consultation": 180, "complaint": 480, "phone_business": 180, "emergency": 180}
TELL_LIMIT = {"complaint": 60, "phone_business": 30, "emergency": 10}
# How a case's story goes (see Generator.case): over the 60 days before the reference day ...
PAST_SCENARIOS = (
    ("met", 40),
    ("late_little", 8),
    ("late_lot", 6),
    ("told_late", 6),
    ("paused", 10),
    ("promise", 8),
    ("promise_late", 3),
    ("night", 5),
    ("night_late", 2),
)
# ... and clustered on the day before the reference day, the reference day and the clock's morning.
CLUSTER_SCENARIOS = (
    ("met", 4),
    ("late_little", 1),
    ("night", 1),
    ("open_breached", 4),
    ("open_paused", 2),
    ("open_warning", 3),
    ("open_ok", 2),
    ("promise_open", 2),
    ("promise_breached", 1),
)
SCENARIO_KINDS = {
    "promise": ("consultation",),
    "promise_late": ("consultation",),
    "promise_open": ("consultation",),
    "promise_breached": ("consultation",),
    "night": ("complaint",),
    "night_late": ("complaint",),
    "told_late": ("complaint", "phone_business", "emergency"),
}
CHURN_SCENARIOS = (
    ("retained", 4),
    ("lost", 2),
    ("late_retained", 1),
    ("late_lost", 1),
    ("open_warning", 2),
    ("open_breached", 2),
    ("open_new", 1),
    ("open_contacted", 1),
)
VISIT_MONTHS = {"diamond": 1, "gold": 2, "silver": 3}
CALL_MONTHS = {"gold": 1, "silver": 2}


@dataclass(slots=True)
class ServicePlan:
    """What the service standards add to one real customer's records, drawn before they are written."""

    card_since: dict[str, str] = field(default_factory=dict)  # person id -> the day the VIP card was made
    notable: set[str] = field(default_factory=set)  # person ids marked by hand as six stars
    brand: dict[str, str] = field(default_factory=dict)  # person id -> the brand of their mobile lines


@dataclass(slots=True)
class Held:
    """What the records' stream wrote for one person, read (never changed) by the service rows."""

    records: dict[str, str] = field(default_factory=dict)  # source -> the person's first customer record
    manager: str = ""  # the account manager am_app names
    accounts: list[tuple[str, bool, float]] = field(default_factory=list)  # crm (id, postpaid, monthly spend)
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # crm (service_no, product, account id)


def _stamp(moment: datetime) -> str:
    """A wall-clock time in Beijing as the files write it."""
    return moment.isoformat(timespec="seconds") + "+08:00"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w for w, _ in weighted], weights=[n for _, n in weighted])[0]


def _manner(seed: int, contact_id: str, channel: str, kind: str, at: datetime) -> dict[str, str]:
    """How a contact of the records' stream was made (mode) and who started it (direction), from its
    channel and a hash of its id: a hall or an agent's shop is the customer in person, the hotline
    and the web the customer's own call or message. An account manager's contact is care, outbound,
    a visit or a call; one at night is the customer ringing the manager (reachable 7x24)."""
    h = zlib.crc32(f"{seed}:manner:{contact_id}".encode())
    if channel in ("service_hall", "agent"):
        return {"mode": "in_person", "direction": "inbound"}
    if channel == "hotline":
        return {"mode": "call", "direction": "inbound"}
    if channel == "web_hall":
        return {"mode": "email" if h % 2 else "", "direction": "inbound"}
    if at.hour >= 22 or at.hour < 8:
        return {"mode": "call", "direction": "inbound"}
    if kind == "care_visit":
        return {"mode": "visit" if h % 3 else "call", "direction": "outbound"}
    return {"mode": "call" if h % 2 else "visit", "direction": "outbound"}


def _card_since(rng: random.Random) -> date:
    """Cards made over the 18 months before the reference day: some in its last month (the first
    visit is due), a few exactly 30 or 31 days before (the first visit falls due on the reference day
    or the clock's day: the month-end edge), some on the 31st of a month (a due day clamped)."""
    roll = rng.random()
    if roll < 0.15:
        days = rng.randrange(1, 30)
    elif roll < 0.22:
        days = rng.choice((30, 31))
    elif roll < 0.25:
        return rng.choice((date(2026, 8, 31), date(2026, 7, 31), date(2026, 5, 31), date(2025, 12, 31)))
    else:
        days = rng.randrange(32, 548)
    return REFERENCE_DAY - timedelta(days=days)


def _service_plan(rng: random.Random, people: tuple[Entity, ...]) -> ServicePlan:
    plan = ServicePlan()
    for person in people:
        if person.vip_card:
            plan.card_since[person.person_id] = _card_since(rng).isoformat()
        if person.segment == "individual" and rng.random() < 0.004:
            plan.notable.add(person.person_id)
        spend = person.spend
        gotone = 0.02 if spend < 100 else 0.5 if spend < 400 else 0.8
        if person.segment != "individual":
            gotone = 0.6
        if rng.random() < gotone:
            plan.brand[person.person_id] = GOTONE
        else:
            plan.brand[person.person_id] = YOUTH_BRAND if person.birth_date >= "1990" else BASIC_BRAND
    return plan


def _at_day(day: date, rng: random.Random, first: int = 8 * 60 + 30, last: int = 20 * 60 + 30) -> datetime:
    """A minute of ``day`` between ``first`` and ``last`` (minutes after midnight)."""
    return datetime.combine(day, time()) + timedelta(minutes=rng.randrange(first, last))


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=round(rng.uniform(low, high)))


def _finish(kind: str, done: datetime, told_late: bool, rng: random.Random) -> list[tuple[str, datetime, str]]:
    """The events that end a case whose work was done at ``done``: the answer, or the solution, the
    final answer (complaints) and the customer told, in time or (``told_late``) not; then closed."""
    if kind == "consultation":
        events = [("answered", done, "")]
    else:
        events = [("solved", done, "")]
        if kind == "complaint":
            done += _minutes(rng, 5, 30)
            events.append(("final_answer", done, ""))
        tell = TELL_LIMIT[kind]
        told = done + (_minutes(rng, tell + 5, tell + 90) if told_late else _minutes(rng, 0.2 * tell, 0.9 * tell))
        events.append(("customer_told", told, ""))
    return [*events, ("closed", events[-1][1] + _minutes(rng, 1, 30), "")]


def _case_story(
    rng: random.Random, kind: str, scenario: str, clustered: bool
) -> tuple[datetime, list[tuple[str, datetime, str]]]:
    """When a case of ``kind`` opened and its events (event, when, reason), as ``scenario`` tells it,
    against the shipped limits (WORK_LIMIT, TELL_LIMIT). Every event is before the clock starts: a
    past case that would run past it is moved back by whole days."""
    limit = WORK_LIMIT[kind]
    if scenario == "open_warning":
        share = rng.uniform(0.82, 0.95)  # of the limit worked when the clock starts: a warning (0.8)
        if kind != "complaint":
            return CLOCK_START_LOCAL - timedelta(minutes=round(share * limit)), []
        # Worked until 21:00 on the reference day, paused for the night at the customer's wish, resumed at 08:30.
        paused = datetime.combine(REFERENCE_DAY, time(21))
        resumed = datetime.combine(CLOCK_DAY, time(8, 30))
        opened = paused - (timedelta(minutes=round(share * limit)) - (CLOCK_START_LOCAL - resumed))
        return opened, [("paused", paused, "waiting_for_customer"), ("resumed", resumed, "")]
    if scenario == "open_ok":
        return CLOCK_START_LOCAL - _minutes(rng, 10, 100), []
    if scenario in ("promise_open", "promise_breached"):
        # Promised on the Friday before the reference day (the answer due by the end of Monday, the
        # clock's day) or on the Thursday (due by the end of Friday: breached, the answer still owed).
        opened = _at_day(REFERENCE_DAY - timedelta(days=2 if scenario == "promise_open" else 3), rng, 13 * 60, 16 * 60)
        return opened, [("promised", opened + _minutes(rng, 90, 170), "核实后下一工作日内答复")]
    day = REFERENCE_DAY - timedelta(days=rng.randrange(0, 2) if clustered else rng.randrange(2, 61))
    night = scenario in ("night", "night_late")
    opened = _at_day(day, rng, 18 * 60, 20 * 60 + 30) if night else _at_day(day, rng)
    events: list[tuple[str, datetime, str]] = []
    if scenario in ("met", "told_late"):
        events = _finish(kind, opened + _minutes(rng, 0.3 * limit, 0.9 * limit), scenario == "told_late", rng)
    elif scenario == "late_little":
        events = _finish(kind, opened + _minutes(rng, limit + 3, limit + 40), False, rng)
    elif scenario == "late_lot":
        events = _finish(kind, opened + _minutes(rng, limit + 6 * 60, limit + 72 * 60), False, rng)
    elif scenario == "paused":
        paused = opened + _minutes(rng, 0.2 * limit, 0.5 * limit)
        resumed = paused + _minutes(rng, 120, 1200)
        left = limit - (paused - opened).total_seconds() / 60
        events = [("paused", paused, rng.choice(PAUSE_REASONS)), ("resumed", resumed, "")]
        events += _finish(kind, resumed + _minutes(rng, 0.3 * left, 0.9 * left), False, rng)
    elif scenario in ("promise", "promise_late"):
        promised = opened + _minutes(rng, 90, 170)
        late = scenario == "promise_late"
        answered = promised + (_minutes(rng, 10 * 1440, 13 * 1440) if late else _minutes(rng, 120, 1200))
        events = [("promised", promised, "核实后下一工作日内答复"), *_finish(kind, answered, False, rng)]
    elif night:
        # The final answer at 23:30: the customer is told within the hour, night or not (or, late, at 08:30).
        solved = datetime.combine(day, time(22, 30)) + _minutes(rng, 0, 50)
        final = datetime.combine(day, time(23, 30))
        told = final + (_minutes(rng, 35, 55) if scenario == "night" else timedelta(hours=9))
        events = [("solved", solved, ""), ("final_answer", final, ""), ("customer_told", told, "")]
        events.append(("closed", told + _minutes(rng, 1, 20), ""))
    elif scenario == "open_paused":
        events = [("paused", opened + _minutes(rng, 0.2 * limit, 0.6 * limit), rng.choice(PAUSE_REASONS))]
    # open_breached: nothing done yet, long past its limit
    return _before_clock(opened, events)


def _before_clock(
    opened: datetime, events: list[tuple[str, datetime, str]]
) -> tuple[datetime, list[tuple[str, datetime, str]]]:
    last = max([opened, *(at for _, at, _ in events)])
    back = timedelta(days=max(0, (last - CLOCK_START_LOCAL).days + 1)) if last > CLOCK_START_LOCAL else timedelta()
    return opened - back, [(event, at - back, reason) for event, at, reason in events]


def _churn_story(rng: random.Random, scenario: str) -> tuple[datetime, list[tuple[str, datetime, str]]]:
    """A churn warning (contact within 24 hours; a retained customer followed up for 3 months)."""
    if scenario == "open_warning":
        return CLOCK_START_LOCAL - timedelta(minutes=round(rng.uniform(0.82, 0.95) * 24 * 60)), []
    if scenario == "open_new":
        return _at_day(REFERENCE_DAY, rng, 17 * 60, 21 * 60), []
    if scenario == "open_breached":
        return _at_day(REFERENCE_DAY - timedelta(days=1), rng, 9 * 60, 18 * 60), []
    if scenario == "open_contacted":
        opened = _at_day(REFERENCE_DAY - timedelta(days=1), rng, 9 * 60, 18 * 60)
        return opened, [("contacted", opened + _minutes(rng, 60, 900), "")]
    opened = _at_day(REFERENCE_DAY - timedelta(days=rng.randrange(5, 61)), rng, 9 * 60, 18 * 60)
    late = scenario.startswith("late_")
    contacted = opened + (_minutes(rng, 26 * 60, 60 * 60) if late else _minutes(rng, 60, 20 * 60))
    ended = _at_day(contacted.date() + timedelta(days=rng.randrange(1, 11)), rng, 9 * 60, 18 * 60)
    outcome = "retained" if scenario.endswith("retained") else "lost"
    reason = "续约优惠, 客户同意保留" if outcome == "retained" else "客户已携号转网"
    return _before_clock(opened, [("contacted", contacted, ""), (outcome, ended, reason)])


# ------------------------------------------------------------------ writing


class Writers:
    """One CSV writer per (source, kind), opened lazily, closed together."""

    def __init__(self, out: Path, stack: ExitStack) -> None:
        self.out = out
        self.stack = stack
        self.writers: dict[tuple[str, str], tuple[Any, tuple[str, ...]]] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self.encodings = {s.name: s.encoding for s in SOURCES}

    def _open(self, key: tuple[str, str]) -> tuple[Any, tuple[str, ...]]:
        source, kind = key
        path = self.out / source / f"{kind}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.stack.enter_context(
            path.open("w", encoding=self.encodings[source], newline="", buffering=1 << 20)
        )
        opened = (csv.writer(handle), tuple(KINDS[kind].fields))
        opened[0].writerow(opened[1])
        self.writers[key] = opened
        self.counts[key] = 0
        return opened

    def write(self, source: str, kind: str, row: dict[str, Any]) -> None:
        key = (source, kind)
        writer, fields = self.writers.get(key) or self._open(key)
        writer.writerow(map(row.get, fields))  # csv writes a missing field (None) as ""
        self.counts[key] += 1

    def write_values(self, source: str, kind: str, values: tuple[str, ...]) -> None:
        """The hot path for the most numerous rows (bills): values already in the format's field order."""
        key = (source, kind)
        (self.writers.get(key) or self._open(key))[0].writerow(values)
        self.counts[key] += 1


@dataclass(slots=True)
class DemoSummary:
    people: int
    customer_records: int
    rows: dict[str, int]
    out: Path


class Generator:
    def __init__(self, seed: int, writers: Writers, truth: Any) -> None:
        self.seed = seed
        self.w = writers
        self.truth = truth
        self.ids: dict[tuple[str, str], Iterator[int]] = {}
        self.id_base = 0
        self.recent_names: dict[str, deque[str]] = {c.area_code: deque(maxlen=200) for c in CITIES}
        self.employees: dict[tuple[str, str], list[str]] = {}
        self.service_numbers: deque[str] = deque(maxlen=5000)
        # The service standards' rows (below) count their ids apart from the rows above, so that those
        # keep theirs; and read what the rows above wrote for the person being made.
        self.service_ids: dict[tuple[str, str], Iterator[int]] = {}
        self.plan = ServicePlan()
        self.held: dict[str, Held] = {}
        self.leaves: dict[str, list[tuple[date, date]]] = {}
        self.backup_of: dict[str, str] = {}

    def next_id(self, source: str, kind: str, prefix: str) -> str:
        counter = self.ids.get((source, kind))
        if counter is None:
            counter = self.ids[(source, kind)] = itertools.count(self.id_base + 1)
        return f"{prefix}{kind[0].upper()}{next(counter):08d}"

    def service_id(self, source: str, kind: str, stem: str) -> str:
        """An id of a row the service standards added: counted on its own (so the ids of the rows
        generated before them do not move) from the chunk's base, under a stem no older id has."""
        counter = self.service_ids.get((source, kind))
        if counter is None:
            counter = self.service_ids[(source, kind)] = itertools.count(self.id_base + 1)
        return f"{stem}{next(counter):08d}"

    def setup_employees(self, write: bool = True) -> None:
        """Every chunk knows the staff (contacts name them); only the first chunk writes them."""
        rng = random.Random(f"{self.seed}:employees")
        roles = {
            "am_app": ("account_manager", 12),
            "hall": ("hall_staff", 10),
            "hotline": ("hotline_agent", 8),
            "agent": ("agent", 10),
        }
        for source, (role, per_city) in roles.items():
            habits = next(s for s in SOURCES if s.name == source)
            for city in CITIES:
                ids = []
                for k in range(per_city):
                    employee_id = self.next_id(source, "employees", habits.prefix)
                    backup = ids[-1] if role == "account_manager" and k % 2 == 1 else ""
                    row = {
                        "source_id": employee_id,
                        "name": _surname(rng) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "role": role,
                        "local_network": city.area_code,
                        "backup_id": backup,
                        "phone": _mobile(rng),
                        # Each network's first agents are its core agents (核心代理商): they take the
                        # opportunities of customers without an account manager (DOMAIN.md §8).
                        "core": "true" if role == "agent" and k < CORE_AGENTS else "",
                    }
                    if write:
                        self.w.write(source, "employees", row)
                    ids.append(employee_id)
                self.employees[(source, city.area_code)] = ids
        # The opportunity hand-off's other staff, made after the rest so that their ids and names stay:
        # phone account managers (the hotline's) cover a network's core agents; the operations centre
        # (the operator's back office, crm) dispatches.
        for source, role, key in CHANNEL_STAFF:
            habits = next(s for s in SOURCES if s.name == source)
            for city in CITIES:
                ids = []
                for _ in range(STAFF_PER_NETWORK):
                    employee_id = self.next_id(source, "employees", habits.prefix)
                    row = {
                        "source_id": employee_id,
                        "name": _surname(rng) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "role": role,
                        "local_network": city.area_code,
                        "phone": _mobile(rng),
                    }
                    if write:
                        self.w.write(source, "employees", row)
                    ids.append(employee_id)
                self.employees[(key, city.area_code)] = ids

    def customer_record(
        self, rng: random.Random, entity: Entity, habits: SourceHabits, fields: dict[str, str] | None = None
    ) -> str:
        source_id = self.next_id(habits.name, "customers", habits.prefix)
        row = {"source_id": source_id, **(fields or _noisy_record(rng, entity, habits))}
        if habits.name == "am_app" and entity.vip_card:
            row["account_manager_id"] = rng.choice(self.employees[("am_app", entity.city.area_code)])
        if habits.name in ("crm", "am_app") and row.get("vip_card"):
            row["vip_card_since"] = self.plan.card_since.get(entity.person_id, "")
        if habits.name == "crm" and entity.person_id in self.plan.notable:
            row["notable"] = "true"
        held = self.held.get(entity.person_id)
        if held is not None:
            held.records.setdefault(habits.name, source_id)
            if habits.name == "am_app" and not held.manager:
                held.manager = row.get("account_manager_id", "")
        self.w.write(habits.name, "customers", row)
        self.truth.writerow([habits.name, source_id, entity.person_id])
        return source_id

    def holdings(self, rng: random.Random, entity: Entity, customer_id: str) -> None:
        """CRM holds the accounts, subscriptions and bills."""
        bundled = rng.random() < 0.3
        for a in range(1 if rng.random() < 0.8 else 2):
            account_id = self.next_id("crm", "accounts", "C")
            postpaid = entity.segment != "individual" or rng.random() < 0.6
            held = self.held.get(entity.person_id)
            if held is not None:
                held.accounts.append((account_id, postpaid, entity.spend))
            self.w.write(
                "crm",
                "accounts",
                {
                    "source_id": account_id,
                    "customer_source_id": customer_id,
                    "account_type": "postpaid" if postpaid else "prepaid",
                    "status": "active" if rng.random() < 0.95 else "suspended",
                    "opened_at": (REFERENCE_DAY - timedelta(days=rng.randrange(30, 4000))).isoformat(),
                },
            )
            numbers = [(p.replace("-", ""), "mobile") for p in entity.phones if "-" not in p][: 2 - a] or [
                (entity.phones[0].replace("-", ""), "fixed")
            ]
            if rng.random() < 0.4:
                numbers.append((f"{entity.city.area_code}{rng.randrange(10**9):09d}@kd", "broadband"))
            for service_no, product in numbers:
                offering = rng.choice(OFFERINGS_BY_PRODUCT[product])
                code, name = BUNDLE if bundled else offering[:2]
                self.w.write(
                    "crm",
                    "subscriptions",
                    {
                        "source_id": self.next_id("crm", "subscriptions", "C"),
                        "customer_source_id": customer_id,
                        "account_source_id": account_id,
                        "service_no": service_no,
                        "product_type": product,
                        "offering_code": code,
                        "offering_name": name,
                        "status": "active",
                        "start_date": (REFERENCE_DAY - timedelta(days=rng.randrange(30, 3000))).isoformat(),
                        "brand": self.plan.brand.get(entity.person_id, "") if product == "mobile" else "",
                    },
                )
                self.service_numbers.append(service_no)
                if held is not None:
                    held.lines.append((service_no, product, account_id))
            if postpaid:
                for month in MONTHS:
                    self.w.write_values(
                        "crm",
                        "bills",
                        (
                            self.next_id("crm", "bills", "C"),
                            account_id,
                            month,
                            f"{max(0.0, rng.gauss(entity.spend, entity.spend * 0.15)):.2f}",
                        ),
                    )

    def contacts(self, rng: random.Random, entity: Entity, habits: SourceHabits, customer_id: str) -> None:
        channel = {
            "hall": "service_hall",
            "hotline": "hotline",
            "web": "web_hall",
            "am_app": "account_manager",
            "agent": "agent",
        }[habits.name]
        staff = self.employees.get((habits.name, entity.city.area_code), [])
        for _ in range(rng.randrange(1, 4)):
            at = REFERENCE_MIDNIGHT - timedelta(minutes=rng.randrange(60 * 24 * 180))
            kind = rng.choice(
                ("query", "consultation", "complaint", "fault_report", "purchase", "change")
                if channel != "account_manager"
                else ("care_visit", "renewal", "consultation")
            )
            by_number = channel == "hotline" and self.service_numbers and rng.random() < 0.3
            contact_id = self.next_id(habits.name, "contacts", habits.prefix)
            self.w.write(
                habits.name,
                "contacts",
                {
                    "source_id": contact_id,
                    "channel": channel,
                    "kind": kind,
                    "at": at.isoformat(timespec="seconds") + "+08:00",
                    "customer_source_id": "" if by_number else customer_id,
                    "service_no": rng.choice(self.service_numbers) if by_number else "",
                    "employee_id": rng.choice(staff) if staff else "",
                    "summary": f"{kind} via {channel}",
                    "outcome": rng.choice(("resolved", "resolved", "pending", "escalated")),
                    **_manner(self.seed, contact_id, channel, kind, at),
                },
            )
            if kind in OPPORTUNITY_NEEDS and not by_number:
                self.opportunity(habits, customer_id, contact_id, channel, kind, at, staff)

    def opportunity(
        self,
        habits: SourceHabits,
        customer_id: str,
        contact_id: str,
        channel: str,
        need: str,
        at: datetime,
        staff: list[str],
    ) -> None:
        """Four in ten such contacts turn up a lead or an opportunity. Its details come from a hash
        of the contact's id, not from the shared random stream, so the rest of the data set stays
        as it was before opportunities were generated."""
        h = zlib.crc32(f"{self.seed}:{habits.name}:{contact_id}".encode())
        if h % 10 >= 4:
            return
        stage = ("captured", "handed_over", "claimed", "claimed", "won", "lost", "returned")[(h >> 4) % 7]
        claimed = stage in ("claimed", "won", "lost") and bool(staff)
        self.w.write(
            habits.name,
            "opportunities",
            {
                "source_id": self.next_id(habits.name, "opportunities", habits.prefix),
                "customer_source_id": customer_id,
                "kind": "opportunity" if need == "purchase" else "lead",
                "need": need,
                "stage": stage,
                "channel": channel,
                "captured_at": at.isoformat(timespec="seconds") + "+08:00",
                "product": PRODUCTS[(h >> 8) % len(PRODUCTS)],
                "contact_person": "",
                "key_person": "",
                "employee_id": staff[(h >> 16) % len(staff)] if claimed else "",
                "claimed_at": (at + timedelta(hours=2 + (h >> 20) % 48)).isoformat(timespec="seconds") + "+08:00"
                if claimed
                else "",
            },
        )

    def entity(self, number: int) -> Entity:
        """Real customer number ``number``: mostly individuals; some organisations with key persons."""
        rng = random.Random(f"{self.seed}:{number}")
        city = rng.choices(CITIES, cum_weights=_CITY_CUMULATIVE)[0]
        pid = f"P{number:08d}"
        roll = rng.random()
        if roll < 0.03:
            org = _organisation(rng, pid, city, "enterprise" if rng.random() < 0.8 else "government")
            org.members = [_person(rng, f"{pid}-{k}", city) for k in range(rng.randrange(1, 4))]
            return org
        if roll < 0.08:
            return _organisation(rng, pid, city, "small_business")
        if roll < 0.10:
            return _household(rng, pid, city)
        names = self.recent_names[city.area_code]
        namesake = names[rng.randrange(len(names))] if names and rng.random() < 0.02 else None
        person = _person(rng, pid, city, namesake)
        names.append(person.name)
        return person

    def emit(self, number: int) -> None:
        entity = self.entity(number)
        # The service standards' values come from a stream of their own, drawn before and after the
        # records' stream below, which stays as it was.
        service = random.Random(f"{self.seed}:{number}:service")
        people = (entity, *entity.members)
        self.plan = _service_plan(service, people)
        self.held = {p.person_id: Held() for p in people}
        rng = random.Random(f"{self.seed}:{number}:records")
        am_app_ids: dict[str, str] = {}
        for one in (entity, *entity.members):
            self.emit_entity(rng, one, am_app_ids)
        for k, member in enumerate(entity.members):
            if entity.person_id in am_app_ids and member.person_id in am_app_ids:
                self.w.write(
                    "am_app",
                    "organisation_members",
                    {
                        "source_id": self.next_id("am_app", "organisation_members", "A"),
                        "organisation_source_id": am_app_ids[entity.person_id],
                        "member_source_id": am_app_ids[member.person_id],
                        "title": ("总经理", "财务主管", "办公室主任")[k % 3],
                        "key_person": "true" if k == 0 else "false",
                    },
                )
        for one in people:
            self.service_rows(service, one, self.held[one.person_id])

    def emit_entity(self, rng: random.Random, entity: Entity, am_app_ids: dict[str, str]) -> None:
        for habits in SOURCES:
            coverage = habits.coverage
            if habits.name == "am_app":
                key_person = "-" in entity.person_id
                coverage = (
                    1.0 if entity.segment in ("enterprise", "government") or key_person or entity.vip_card else 0.0
                )
            elif entity.segment in ("enterprise", "government", "household") and habits.name in ("hotline", "web"):
                coverage /= 3
            if rng.random() >= coverage:
                continue
            customer_id = self.customer_record(rng, entity, habits)
            if habits.name == "am_app":
                am_app_ids[entity.person_id] = customer_id
            if habits.name == "crm":
                self.holdings(rng, entity, customer_id)
            else:
                self.contacts(rng, entity, habits, customer_id)
            if rng.random() < habits.duplicate:
                self.customer_record(rng, entity, habits)
        if entity.segment == "individual" and rng.random() < 0.01:
            self.moved(rng, entity)

    def moved(self, rng: random.Random, entity: Entity) -> None:
        """The same person opened an account in another city: another customer for the operator."""
        city = rng.choice([c for c in CITIES if c is not entity.city])
        district = rng.choice(city.districts)[0]
        other = Entity(
            entity.person_id + "@" + city.area_code,
            entity.segment,
            entity.name,
            city,
            district,
            _address(rng, city, district),
            [_mobile(rng)],
            cert_type=entity.cert_type,
            cert_no=entity.cert_no,
            birth_date=entity.birth_date,
            gender=entity.gender,
        )
        self.customer_record(rng, other, SOURCES[0])

    # -------------------------------------------------------------- service standards (issue 20)

    def setup_leaves(self, write: bool = True) -> None:
        """Leave periods (am_app) of account managers: in each city one or two managers with a backup
        are on leave over the reference day and the clock's day (their backups act for their customers),
        one manager's leave is past and one's is to come. Every chunk knows them; the first writes them."""
        rng = random.Random(f"{self.seed}:leaves")
        self.leaves, self.backup_of = {}, {}
        for city in CITIES:
            managers = self.employees[("am_app", city.area_code)]
            # setup_employees gives every second manager the one before as a backup.
            self.backup_of.update({managers[k]: managers[k - 1] for k in range(1, len(managers), 2)})
            covering = rng.sample(managers[1::2], 2 if city.area_code in ("0591", "0592") else 1)
            periods = [
                (
                    m,
                    REFERENCE_DAY - timedelta(days=rng.randrange(0, 6)),
                    CLOCK_DAY + timedelta(days=rng.randrange(0, 8)),
                )
                for m in covering
            ]
            others = [m for m in managers if m not in covering and m not in self.backup_of.values()]
            past = REFERENCE_DAY - timedelta(days=rng.randrange(20, 50))
            periods.append((rng.choice(others), past, past + timedelta(days=rng.randrange(2, 10))))
            coming = CLOCK_DAY + timedelta(days=rng.randrange(7, 21))
            periods.append((rng.choice(others), coming, coming + timedelta(days=rng.randrange(1, 5))))
            for employee, first, last in periods:
                self.leaves.setdefault(employee, []).append((first, last))
                row = {
                    "source_id": self.service_id("am_app", "leaves", "AL"),
                    "employee_id": employee,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                }
                if write:
                    self.w.write("am_app", "leaves", row)

    def acting(self, manager: str, day: date) -> str:
        """Who acts for ``manager``'s customers on ``day``: the backup while the manager is on leave."""
        backup = self.backup_of.get(manager)
        if backup and any(first <= day <= last for first, last in self.leaves.get(manager, ())):
            return backup
        return manager

    def service_rows(self, rng: random.Random, person: Entity, held: Held) -> None:
        """The rows of the service standards for one person, after the records' rows."""
        crm = held.records.get("crm")
        signals: list[str] = []
        if crm and held.accounts:
            if rng.random() < 0.05:
                self.dropped_line(rng, person, held, crm)
                signals.append("spend_drop")
            if rng.random() < 0.04 and self.contract(rng, person, held, crm):
                signals.append("contract_expiry")
            if rng.random() < 0.04 and self.competitor_calls(rng, held):
                signals.append("competitor_hotline")
            self.points(rng, person, held)
        broadband = [number for number, product, _ in held.lines if product == "broadband"]
        if broadband and rng.random() < 0.12 and self.fault_reports(rng, person, held, rng.choice(broadband)):
            signals.append("repeated_faults")
        if person.vip_card and held.manager and "am_app" in held.records:
            self.care(rng, person, held)
        sources = [s for s in CASE_KINDS_BY_SOURCE if s in held.records and (s != "am_app" or held.manager)]
        if sources and rng.random() < 0.08:
            for _ in range(1 if rng.random() < 0.85 else 2):
                self.case(rng, person, held, rng.choice(sources))
        if "am_app" in held.records and held.manager and rng.random() < (0.7 if signals else 0.08):
            self.churn_case(rng, person, held, signals or ["manager"])

    def points(self, rng: random.Random, person: Entity, held: Held) -> None:
        """Every postpaid account's points: last calendar year's (the six-star rule's) and this year's
        so far, about 12 x the monthly spend x the person's points a yuan; and a credit value."""
        group = "person" if person.segment in ("individual", "household") else "organisation"
        per_yuan = rng.lognormvariate(math.log(POINTS_PER_YUAN[group]), 0.6)
        for account_id, postpaid, monthly in held.accounts:
            if not postpaid:
                continue
            last_year = round(12 * monthly * per_yuan * rng.uniform(0.85, 1.15))
            so_far = round(last_year * (REFERENCE_DAY.month - 1) / 12 * rng.uniform(0.8, 1.2))
            credit = 100 + 10 * round(monthly * 2 / 10)
            for year, points in ((REFERENCE_DAY.year - 1, last_year), (REFERENCE_DAY.year, so_far)):
                self.w.write(
                    "crm",
                    "points",
                    {
                        "source_id": self.service_id("crm", "points", "CP"),
                        "account_source_id": account_id,
                        "year": str(year),
                        "points": str(points),
                        "credit": str(credit),
                    },
                )

    def dropped_line(self, rng: random.Random, person: Entity, held: Held, crm: str) -> None:
        """A spend drop: a second postpaid account, closed, whose mobile line left at the end of the
        month before the last complete one: billed until then, so the last month's spend falls sharply."""
        postpaid = sum(1 for _, paid, _ in held.accounts if paid)
        monthly = round(max(30.0, person.spend * max(1, postpaid) * rng.uniform(0.7, 1.5)), 2)
        account_id = self.service_id("crm", "accounts", "CAX")
        opened = REFERENCE_DAY - timedelta(days=rng.randrange(400, 3000))
        self.w.write(
            "crm",
            "accounts",
            {
                "source_id": account_id,
                "customer_source_id": crm,
                "account_type": "postpaid",
                "status": "closed",
                "opened_at": opened.isoformat(),
            },
        )
        code, name, _ = rng.choice(OFFERINGS_BY_PRODUCT["mobile"])
        self.w.write(
            "crm",
            "subscriptions",
            {
                "source_id": self.service_id("crm", "subscriptions", "CSX"),
                "customer_source_id": crm,
                "account_source_id": account_id,
                "service_no": _mobile(rng),
                "product_type": "mobile",
                "offering_code": code,
                "offering_name": name,
                "status": "cancelled",
                "start_date": opened.isoformat(),
                "end_date": (date.fromisoformat(MONTHS[-1] + "-01") - timedelta(days=1)).isoformat(),
                "brand": self.plan.brand.get(person.person_id, ""),
            },
        )
        for month in MONTHS[:-1]:
            amount = f"{max(0.0, rng.gauss(monthly, monthly * 0.1)):.2f}"
            self.w.write_values("crm", "bills", (self.service_id("crm", "bills", "CBX"), account_id, month, amount))
        held.accounts.append((account_id, True, monthly))

    def contract(self, rng: random.Random, person: Entity, held: Held, crm: str) -> bool:
        """A line on a contract (合约) ending within 30 days after the reference day (three in four),
        or later; says whether it ends within the 30 days."""
        soon = rng.random() < 0.75
        end = REFERENCE_DAY + timedelta(days=rng.randrange(1, 30) if soon else rng.randrange(35, 90))
        if rng.random() < 0.5:
            number, product = f"{person.city.area_code}{rng.randrange(10**9):09d}@kd", "broadband"
            code, name, start = "HY12K", "千兆宽带12个月合约", end - timedelta(days=365)
        else:
            number, product = _mobile(rng), "mobile"
            code, name, start = "HY24", "24个月合约计划", end - timedelta(days=730)
        self.w.write(
            "crm",
            "subscriptions",
            {
                "source_id": self.service_id("crm", "subscriptions", "CSX"),
                "customer_source_id": crm,
                "account_source_id": held.accounts[0][0],
                "service_no": number,
                "product_type": product,
                "offering_code": code,
                "offering_name": name,
                "status": "active",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "brand": self.plan.brand.get(person.person_id, "") if product == "mobile" else "",
            },
        )
        return soon

    def competitor_calls(self, rng: random.Random, held: Held) -> bool:
        """Usage-derived contacts: calls to a competitor's hotline (10010, 10000), mostly in the 30 days
        before the reference day; says whether one is."""
        mobiles = [number for number, product, _ in held.lines if product == "mobile"]
        recent = False
        for k in range(rng.choice((1, 1, 2, 3))):
            days = rng.randrange(0, 28) if k == 0 or rng.random() < 0.8 else rng.randrange(35, 90)
            recent = recent or days < 28
            number, name = rng.choice(COMPETITOR_HOTLINES)
            source = "hotline" if "hotline" in held.records and rng.random() < 0.3 else "crm"
            self.w.write(
                source,
                "contacts",
                {
                    "source_id": self.service_id(source, "contacts", PREFIX_OF_SOURCE[source] + "CX"),
                    "channel": "hotline",
                    "kind": "query",
                    "at": _stamp(_at_day(REFERENCE_DAY - timedelta(days=days), rng, 8 * 60, 22 * 60)),
                    "customer_source_id": held.records[source],
                    "service_no": mobiles[0] if mobiles else "",
                    "summary": f"话单: 拨打{number} ({name})",
                    "mode": "call",
                    "direction": "outbound",
                    "called_number": number,
                },
            )
        return recent

    def fault_reports(self, rng: random.Random, person: Entity, held: Held, number: str) -> bool:
        """Fault reports to the hotline naming a broadband line, within 30 days of the reference day:
        three or four (a churn signal), or two (not yet); says whether three or more."""
        staff = self.employees.get(("hotline", person.city.area_code), [])
        count = rng.choice((3, 3, 4, 2))
        fault = rng.choice(FAULTS)
        for k, days in enumerate(sorted(rng.sample(range(28), count), reverse=True)):
            self.w.write(
                "hotline",
                "contacts",
                {
                    "source_id": self.service_id("hotline", "contacts", "TCX"),
                    "channel": "hotline",
                    "kind": "fault_report",
                    "at": _stamp(_at_day(REFERENCE_DAY - timedelta(days=days), rng, 8 * 60, 21 * 60)),
                    "customer_source_id": held.records.get("hotline", ""),
                    "service_no": number,
                    "employee_id": rng.choice(staff) if staff else "",
                    "summary": f"{fault} ({number})",
                    "outcome": "pending" if k == count - 1 else "resolved",
                    "mode": "call",
                    "direction": "inbound",
                },
            )
        return count >= 3

    def care(self, rng: random.Random, person: Entity, held: Held) -> None:
        """The account manager's care of a VIP card holder: outbound visits and calls, some in time for
        the card's interval, some overdue, none yet for some new cards; and calls unanswered on the
        reference day (tried three times) or on the clock's morning (a retry due)."""
        since = date.fromisoformat(self.plan.card_since[person.person_id])
        card = person.vip_card
        done: list[tuple[date, str]] = []
        if since > REFERENCE_DAY - timedelta(days=30):
            if rng.random() < 0.3:
                done.append((since + timedelta(days=rng.randrange(0, (REFERENCE_DAY - since).days + 1)), "visit"))
        else:
            roll = rng.random()
            every = VISIT_MONTHS[card] * 30
            if roll < 0.55:
                done.append((REFERENCE_DAY - timedelta(days=rng.randrange(0, every - 3)), "visit"))
                if card in CALL_MONTHS:
                    done.append((REFERENCE_DAY - timedelta(days=rng.randrange(0, CALL_MONTHS[card] * 30 - 3)), "call"))
            elif roll < 0.85:
                day = REFERENCE_DAY - timedelta(days=every + rng.randrange(3, 60))
                if day >= since:
                    done.append((day, "visit"))
        for day, mode in done:
            self.care_contact(held, _at_day(day, rng, 9 * 60, 18 * 60), mode, "resolved")
        roll = rng.random()
        if roll < 0.06:
            first = datetime.combine(CLOCK_DAY, time(8, 5)) + _minutes(rng, 0, 10)
            for k in range(rng.choice((1, 2))):
                self.care_contact(held, first + timedelta(minutes=62 * k), "call", "no_answer")
        elif roll < 0.09:
            first = datetime.combine(REFERENCE_DAY, time(10)) + _minutes(rng, 0, 20)
            for k in range(3):
                self.care_contact(held, first + timedelta(minutes=65 * k), "call", "no_answer")

    def care_contact(self, held: Held, at: datetime, mode: str, outcome: str) -> None:
        self.w.write(
            "am_app",
            "contacts",
            {
                "source_id": self.service_id("am_app", "contacts", "ACX"),
                "channel": "account_manager",
                "kind": "care_visit",
                "at": _stamp(at),
                "customer_source_id": held.records["am_app"],
                "employee_id": self.acting(held.manager, at.date()),
                "summary": "上门拜访" if mode == "visit" else "电话关怀",
                "outcome": outcome,
                "mode": mode,
                "direction": "outbound",
            },
        )

    def case(self, rng: random.Random, person: Entity, held: Held, source: str) -> None:
        """A consultation, complaint, business by phone or emergency, owned by the first person asked
        (an employee of the source: the account manager, or the backup during leave, for am_app)."""
        kind = _pick(rng, CASE_KINDS_BY_SOURCE[source])
        clustered = rng.random() < 0.35
        scenarios = tuple(
            (name, weight)
            for name, weight in (CLUSTER_SCENARIOS if clustered else PAST_SCENARIOS)
            if kind in SCENARIO_KINDS.get(name, (kind,))
        )
        opened, events = _case_story(rng, kind, _pick(rng, scenarios), clustered)
        self.write_case(rng, person, held, source, kind, rng.choice(CASE_SUMMARIES[kind]), opened, events)

    def churn_case(self, rng: random.Random, person: Entity, held: Held, signals: list[str]) -> None:
        """A churn warning the account manager's app raised, with its contact, retention or loss."""
        opened, events = _churn_story(rng, _pick(rng, CHURN_SCENARIOS))
        summary = "流失预警: " + "、".join(CHURN_SIGNALS[s] for s in signals)
        self.write_case(rng, person, held, "am_app", "churn_warning", summary, opened, events)

    def write_case(
        self,
        rng: random.Random,
        person: Entity,
        held: Held,
        source: str,
        kind: str,
        summary: str,
        opened: datetime,
        events: list[tuple[str, datetime, str]],
    ) -> None:
        staff = self.employees.get((source, person.city.area_code), [])
        owner = self.acting(held.manager, opened.date()) if source == "am_app" else rng.choice(staff)
        prefix = PREFIX_OF_SOURCE[source]
        case_id = self.service_id(source, "cases", prefix + "K")
        self.w.write(
            source,
            "cases",
            {
                "source_id": case_id,
                "customer_source_id": held.records[source],
                "kind": kind,
                "opened_at": _stamp(opened),
                "channel": CHANNEL_OF_SOURCE[source],
                "employee_id": owner,
                "summary": summary,
            },
        )
        for event, at, reason in events:
            # Someone else may do the work; the case stays its first owner's (首问负责).
            by = rng.choice(staff) if event == "solved" and staff and rng.random() < 0.3 else owner
            self.w.write(
                source,
                "case_events",
                {
                    "source_id": self.service_id(source, "case_events", prefix + "KE"),
                    "case_source_id": case_id,
                    "event": event,
                    "at": _stamp(at),
                    "employee_id": by,
                    "reason": reason,
                },
            )


CHUNK_PEOPLE = 20_000
ID_STRIDE = 1_000_000  # ids per kind a chunk may use
MOST_ROWS_PER_PERSON = 50  # of one kind: an organisation with 3 key persons, 2 accounts each, 6 bills each


def _generate_chunk(out: Path, seed: int, first: int, last: int, chunk: int) -> dict[tuple[str, str], int]:
    """People ``first``..``last - 1`` into ``out``, with ids numbered from the chunk's own base.

    Cross-person state (recent names for namesakes, recent service numbers) starts empty in each
    chunk, so a chunk's files depend only on the seed and the chunk: any number of processes
    writes the same bytes.
    """
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        truth_handle = stack.enter_context(
            (out / "truth.csv").open("w", encoding="utf-8", newline="", buffering=1 << 20)
        )
        truth = csv.writer(truth_handle)
        truth.writerow(["source", "source_id", "person_id"])
        writers = Writers(out, stack)
        generator = Generator(seed, writers, truth)
        generator.setup_employees(write=chunk == 0)
        generator.setup_leaves(write=chunk == 0)
        generator.id_base = chunk * ID_STRIDE
        for number in range(first, last):
            generator.emit(number)
        return dict(writers.counts)


def _chunk_job(job: tuple[Path, int, int, int, int]) -> dict[tuple[str, str], int]:
    return _generate_chunk(*job)


def _append(target: Path, part: Path, started: set[Path]) -> None:
    """Concatenate a chunk's file onto the result; only the first chunk's header line is kept."""
    first = target not in started
    if first:
        target.parent.mkdir(parents=True, exist_ok=True)
        started.add(target)
    with part.open("rb") as source, target.open("wb" if first else "ab") as sink:
        header = source.readline()
        if first:
            sink.write(header)
        shutil.copyfileobj(source, sink, 1 << 20)


def generate(
    out: Path,
    customers: int,
    seed: int = 360,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    chunk_people: int = CHUNK_PEOPLE,
) -> DemoSummary:
    """Chunks of people made in parallel processes and appended in order, so the files do not
    depend on ``workers`` and a million people take about half the time on two cores."""
    if not 0 < chunk_people <= ID_STRIDE // MOST_ROWS_PER_PERSON:
        raise ValueError(
            f"chunk_people must be 1..{ID_STRIDE // MOST_ROWS_PER_PERSON}: a chunk's ids would overlap the next"
        )
    out.mkdir(parents=True, exist_ok=True)
    parts = out / ".chunks"
    shutil.rmtree(parts, ignore_errors=True)
    jobs = [
        (parts / f"{c:05d}", seed, first, min(first + chunk_people, customers), c)
        for c, first in enumerate(range(0, max(customers, 1), chunk_people))
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    encodings = {s.name: s.encoding for s in SOURCES}
    counts: dict[tuple[str, str], int] = {}
    started: set[Path] = set()
    with ExitStack() as stack:
        if workers > 1:
            pool = stack.enter_context(multiprocessing.get_context("fork").Pool(workers))
            results = pool.imap(_chunk_job, jobs)
        else:
            results = map(_chunk_job, jobs)
        for (directory, _, first, last, _), chunk_counts in zip(jobs, results):
            _append(out / "truth.csv", directory / "truth.csv", started)
            for (source, kind), n in chunk_counts.items():
                _append(out / source / f"{kind}.csv", directory / source / f"{kind}.csv", started)
                counts[(source, kind)] = counts.get((source, kind), 0) + n
            shutil.rmtree(directory)
            if progress:
                progress(last - first)
    shutil.rmtree(parts, ignore_errors=True)
    source_order = [s.name for s in SOURCES]
    keys = sorted(counts, key=lambda k: (source_order.index(k[0]), ORDER.index(k[1])))
    manifest = [{"source": s, "kind": k, "path": f"{s}/{k}.csv", "encoding": encodings[s]} for s, k in keys]
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    (out / REFERENCE_FILE).write_bytes(
        orjson.dumps({"reference_day": REFERENCE_DAY.isoformat(), "clock_start": CLOCK_START.isoformat()})
    )
    rows = {f"{s}/{k}": counts[(s, k)] for s, k in keys}
    return DemoSummary(customers, sum(n for (s, k), n in counts.items() if k == "customers"), rows, out)


def reference_clock(directory: Path) -> datetime | None:
    """The clock start a demo directory was generated for; None for a directory without one."""
    try:
        found = orjson.loads((directory / REFERENCE_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return datetime.fromisoformat(found["clock_start"]) if isinstance(found, dict) and "clock_start" in found else None
