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
# Where `c360 run` starts the clock on demo data (a morning of the reference day, Beijing time), so
# the demo's star levels, due work and breaches are the same whenever it is run.
CLOCK_START = datetime.combine(REFERENCE_DAY, time(9, 30), tzinfo=timezone(timedelta(hours=8)))
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

    def next_id(self, source: str, kind: str, prefix: str) -> str:
        counter = self.ids.get((source, kind))
        if counter is None:
            counter = self.ids[(source, kind)] = itertools.count(self.id_base + 1)
        return f"{prefix}{kind[0].upper()}{next(counter):08d}"

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
                    }
                    if write:
                        self.w.write(source, "employees", row)
                    ids.append(employee_id)
                self.employees[(source, city.area_code)] = ids

    def customer_record(
        self, rng: random.Random, entity: Entity, habits: SourceHabits, fields: dict[str, str] | None = None
    ) -> str:
        source_id = self.next_id(habits.name, "customers", habits.prefix)
        row = {"source_id": source_id, **(fields or _noisy_record(rng, entity, habits))}
        if habits.name == "am_app" and entity.vip_card:
            row["account_manager_id"] = rng.choice(self.employees[("am_app", entity.city.area_code)])
        self.w.write(habits.name, "customers", row)
        self.truth.writerow([habits.name, source_id, entity.person_id])
        return source_id

    def holdings(self, rng: random.Random, entity: Entity, customer_id: str) -> None:
        """CRM holds the accounts, subscriptions and bills."""
        bundled = rng.random() < 0.3
        for a in range(1 if rng.random() < 0.8 else 2):
            account_id = self.next_id("crm", "accounts", "C")
            postpaid = entity.segment != "individual" or rng.random() < 0.6
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
                    },
                )
                self.service_numbers.append(service_no)
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
