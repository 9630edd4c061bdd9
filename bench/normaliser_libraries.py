"""Our hand-written resident-id, credit-code, phone and address checks against maintained libraries (issue 16).

    python bench/normaliser_libraries.py [--dir DEMO_DIR] [--customers 20000] [--seed 360]
        [--baseline REV] [--differences FILE]

Three implementations of each check, on the demo operator's customer rows and on a hand-made list
of hard cases whose right answers are written beside them:

- ``hand-written``: app/resolution/normalise.py as it was before issue 16, read from git at
  ``--baseline`` (the regexes, the province-code set, the list of three-digit area codes);
- ``library``: the library alone, called the way its documentation says: python-stdnum's
  ``cn.ric.validate`` and ``cn.uscc.validate``, phonenumbers' ``parse(..., "CN")`` with
  ``is_valid_number``, cpca and jionlp's ``parse_location`` for addresses (both only when importable:
  they are not dependencies; install them in a throwaway folder, e.g.
  ``pip install --target /tmp/addrlibs cpca==0.5.5 jionlp==1.5.31 pyahocorasick jiojio pyyaml requests``
  and run with ``PYTHONPATH=/tmp/addrlibs``);
- ``adopted``: app/resolution/normalise.py as it is now.

Every implementation gets the same text: the libraries get what our own cleaning (NFKC, spaces,
case) gives, so a difference is about the check, not about full-width digits. Printed per check:
how many demo verdicts differ, every differing demo value (grouped by why when there are many; all of
them go to ``--differences``), the hard-case table (a ``*`` marks an answer that is not the right
one), and the cost of one call in microseconds, measured over the distinct demo values with every
cache emptied, as ingest sees a million mostly distinct values.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
import types
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_records import iter_customer_rows  # noqa: E402

import app.resolution.normalise as adopted  # noqa: E402

# The last commit whose normalise.py was all hand-written.
BASELINE = "3f6b90a96bbb9c803d28be85ead108d2ced641ec"
REPO = Path(__file__).resolve().parents[1]
SHOWN = 60  # differing values printed per group when a check has more than MANY of them
MANY = 120


def load_baseline(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:app/resolution/normalise.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("normalise_hand_written")
    module.__file__ = f"{rev}:app/resolution/normalise.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up while building
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def clean_id(raw: str) -> str:
    """What our code does to any certificate number before checking it."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "").strip()).upper()


# ------------------------------------------------------------------ the libraries alone


def ric_library(raw: str) -> tuple:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    number = clean_id(raw)
    try:
        return (True, ric.validate(number), "")
    except ValidationError as exc:
        return (False, "", type(exc).__name__)
    except (KeyError, ValueError) as exc:  # KeyError: stdnum 2.2 on a known province with an unknown county
        return (False, "", f"{type(exc).__name__} (raised by stdnum)")


def uscc_library(raw: str) -> tuple:
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    number = clean_id(raw)
    try:
        return (True, uscc.validate(number), "")
    except ValidationError as exc:
        return (False, "", type(exc).__name__)


def phone_library(raw: str, area: str | None = None) -> tuple:
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    text = unicodedata.normalize("NFKC", raw or "").strip()
    digits = re.sub(r"[\s\-().]", "", text)
    if area and digits.isdigit() and len(digits) in (7, 8) and digits[0] not in "01":
        text = area + digits  # the record's local network, as our code adds it
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        return (False, "invalid", "", f"parse: {str(exc)[:40]}")
    if number.country_code != 86:
        return (False, "invalid", "", f"country {number.country_code}")
    if not phonenumbers.is_valid_number(number):
        return (False, "invalid", "", "not valid in the plan")
    national = phonenumbers.national_significant_number(number)
    kind = phonenumbers.number_type(number)
    if kind == T.MOBILE:
        return (True, "mobile", national, "")
    if kind in (T.FIXED_LINE, T.FIXED_LINE_OR_MOBILE):
        return (True, "fixed", "0" + national, "")
    if kind in (T.TOLL_FREE, T.SHARED_COST):
        return (True, "service", national, "")
    return (False, "invalid", "", f"type {kind}")


# Short names, as our key writes them: the administrative suffix dropped.
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "特別行政區", "自治区", "省", "市")
_CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
_DISTRICT_SUFFIXES = ("新区", "区", "县", "旗", "市")


def short(name: str | None, suffixes: tuple[str, ...]) -> str:
    name = name or ""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def area_of(province: str | None, city: str | None, district: str | None) -> tuple[str, str]:
    """(city, district) in short names: the part of the address key that names the place."""
    province_short = short(province, _PROVINCE_SUFFIXES)
    if city in (None, "", "市辖区", "县") and province_short in ("北京", "天津", "上海", "重庆"):
        city = province_short
    return short(city, _CITY_SUFFIXES), short(district, _DISTRICT_SUFFIXES)


def address_ours(module: types.ModuleType) -> Callable[[str], tuple]:
    def parse(raw: str) -> tuple:
        parsed = module.normalise_address.__wrapped__(raw)
        return (parsed.city, parsed.district)

    return parse


def address_cpca() -> tuple[Callable[[str], tuple], Callable[[str], tuple]] | None:
    if importlib.util.find_spec("cpca") is None:
        return None
    import cpca

    def fast(raw: str) -> tuple:  # a private function: the public transform() builds a DataFrame per call
        text = adopted.to_simplified(unicodedata.normalize("NFKC", raw))
        found = cpca._get_one_addr(text, False, {})
        return area_of(found["省"], found["市"], found["区"])

    def public(raw: str) -> tuple:
        text = adopted.to_simplified(unicodedata.normalize("NFKC", raw))
        found = cpca.transform([text]).iloc[0]
        return area_of(found["省"], found["市"], found["区"])

    return fast, public


def address_jionlp() -> Callable[[str], tuple] | None:
    if importlib.util.find_spec("jionlp") is None:
        return None
    import jionlp

    def parse(raw: str) -> tuple:
        found = jionlp.parse_location(adopted.to_simplified(unicodedata.normalize("NFKC", raw)))
        return area_of(found["province"], found["city"], found["county"])

    return parse


# ------------------------------------------------------------------ our functions, as verdicts


def ric_ours(module: types.ModuleType) -> Callable[[str], tuple]:
    def parse(raw: str) -> tuple:
        parsed = module.parse_resident_id.__wrapped__(raw)
        flag = "" if getattr(parsed, "region_known", True) else "region unknown"
        return (parsed.valid, parsed.number, parsed.reason or flag)

    return parse


def uscc_ours(module: types.ModuleType) -> Callable[[str], tuple]:
    def parse(raw: str) -> tuple:
        parsed = module.parse_credit_code.__wrapped__(raw)
        return (parsed.valid, parsed.number, parsed.reason)

    return parse


def phone_ours(module: types.ModuleType) -> Callable[..., tuple]:
    def parse(raw: str, area: str | None = None) -> tuple:
        phone = module.normalise_phone(raw, area)
        return (phone.valid, phone.kind, phone.key, phone.reason)

    return parse


def verdict(result: tuple) -> tuple:
    """What must agree: validity and the key (phones: also the kind); reasons are wording."""
    return result[:-1] if len(result) in (3, 4) else result


# ------------------------------------------------------------------ hard cases


def with_check(first17: str) -> str:
    from stdnum.cn import ric

    return first17 + ric.calc_check_digit(first17 + "0")


def credit_with_check(first17: str) -> str:
    from stdnum.cn import uscc

    return first17 + uscc.calc_check_digit(first17)


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


# (value, right answer as the tables show it, why)
RESIDENT_ID_CASES = [
    ("11010519491231002X", "valid", "stdnum's own example: Beijing Chaoyang, 1949"),
    ("11010519491231002x", "valid", "lower-case x"),
    (with_check("35010219900101123").translate(_FULL_WIDTH), "valid", "full-width digits"),
    (with_check("99000019900101123"), "valid, region unknown", "region 990000 names nothing"),
    (with_check("35019919900101123"), "valid, region unknown", "Fujian, but no county 350199"),
    (with_check("35010219800101123"), "valid", "Fuzhou Gulou (code since 1983), born 1980"),
    (with_check("50010119800101123"), "valid", "Chongqing (codes since 1997), born 1980"),
    (with_check("46010019700101123"), "valid", "Haikou (Hainan province since 1988), born 1970"),
    (with_check("81000019900101123"), "valid", "Hong Kong residents' residence permit (since 2018)"),
    (with_check("83000019900101123"), "valid", "Taiwan residents' residence permit, region 830000"),
    (with_check("35018220180101123"), "valid", "Changle city code retired 2017, born 2018 (codes lag)"),
    ("350102800101123", "valid", "15 digits (before 1999), widened to 18"),
    (with_check("35010219850230123"), "invalid", "30 February"),
    (with_check("35010218991231123"), "invalid", "born 1899"),
    (with_check("35010220991231123"), "invalid", "born in 2099"),
    (wrong_check(with_check("35010219850317123")), "invalid", "wrong check character"),
    ("35010219850317123", "invalid", "17 characters"),
]

CREDIT_CODE_CASES = [
    ("91110000600037341L", "valid", "stdnum's own example"),
    (credit_with_check("91350100M000100Y4"), "valid", "9 market regulation, 1 enterprise"),
    (credit_with_check("N2350102MF0000001"), "valid", "N agriculture, 2 village collective economic organisation"),
    (credit_with_check("Y1350102MF0000001"), "valid", "Y other registration authorities"),
    (credit_with_check("A1110000MB0000001"), "valid", "A military reform and staffing office, 1 institution"),
    (credit_with_check("91AB0100M000100Y4"), "invalid", "letters in the region code (characters 3-8)"),
    ("91350100M000100IO1", "invalid", "I and O are not in the alphabet"),
    (wrong_check(credit_with_check("91350100M000100Y4")), "invalid", "wrong check character"),
]

# (value, area code of the record's local network, right answer, why)
PHONE_CASES = [
    ("13800138000", None, "mobile 13800138000", "mobile"),
    ("+86 138 0013 8000", None, "mobile 13800138000", "+86"),
    ("0086-13800138000", None, "mobile 13800138000", "0086"),
    ("8613800138000", None, "mobile 13800138000", "86 without +"),
    ("013800138000", None, "mobile 13800138000", "0 before a mobile (long-distance habit)"),
    ("19212345678", None, "mobile 19212345678", "192 (China Broadnet)"),
    ("16212345678", None, "mobile 16212345678", "162 (virtual operators)"),
    ("14512345678", None, "mobile 14512345678", "145 (data plans)"),
    ("12800138000", None, "invalid", "12x is no mobile prefix"),
    ("14012345678", None, "invalid", "140 is not allocated to 11-digit numbers"),
    ("16012345678", None, "invalid", "160 is not allocated"),
    ("17412345678", None, "invalid", "174 only as 1740[0-5] (satellite)"),
    ("19412345678", None, "invalid", "194 is not allocated"),
    ("138001380001", None, "invalid", "12 digits"),
    ("010-65123456", None, "fixed 01065123456", "Beijing, 3-digit area code"),
    ("+86 10 6512 3456", None, "fixed 01065123456", "Beijing from abroad"),
    ("(020)83123456", None, "fixed 02083123456", "Guangzhou"),
    ("0591-87654321", None, "fixed 059187654321", "Fuzhou, 8 digits"),
    ("0591-8765432", None, "invalid", "Fuzhou numbers have 8 digits"),
    ("0592-5123456", None, "fixed 05925123456", "Xiamen, 7 digits"),
    ("0592-45510431", None, "invalid", "Xiamen numbers have 7 digits"),
    ("0311-87654321", None, "fixed 031187654321", "Shijiazhuang"),
    ("0471-6123456", None, "fixed 04716123456", "Hohhot"),
    ("0991-4123456", None, "fixed 09914123456", "Urumqi"),
    ("0433-2512345", None, "fixed 04332512345", "Yanbian"),
    ("0718-8123456", None, "fixed 07188123456", "Enshi"),
    ("0579-85123456", None, "fixed 057985123456", "Yiwu (Jinhua's area code 0579)"),
    ("0512-57123456", None, "fixed 051257123456", "Kunshan (Suzhou's area code 0512)"),
    ("0261-2345678", None, "invalid", "026 is no area code"),
    ("87654321", "0591", "fixed 059187654321", "local number, area from the local network"),
    ("87654321", None, "invalid", "local number, no area known"),
    ("0591-87654321 转 801", None, "fixed 059187654321", "extension (转)"),
    ("0591-87654321 ext. 801", None, "fixed 059187654321", "extension (ext.)"),
    ("0591-87654321#801", None, "fixed 059187654321", "extension (#)"),
    ("400-820-8820", None, "service 4008208820", "400 number (shared cost)"),
    ("800-820-8820", None, "service 8008208820", "800 number (toll free)"),
    ("10086", None, "invalid", "operator's service short code"),
    ("95588", None, "invalid", "bank's service short code"),
]

# (address, right (city/district), why)
ADDRESS_CASES = [
    ("福建省福州市鼓楼区五四路158号", "福州/鼓楼", "full form"),
    ("福州鼓楼五四路158号", "福州/鼓楼", "suffixes dropped"),
    ("厦门思明中山路1号", "厦门/思明", "suffixes dropped"),
    ("河北省石家庄市长安区中山东路100号", "石家庄/长安", "three-character city"),
    ("石家庄长安区中山东路100号", "石家庄/长安", "three-character city without 市"),
    ("呼和浩特新城区中山路1号", "呼和浩特/新城", "four-character city without 市"),
    ("乌鲁木齐天山区解放北路1号", "乌鲁木齐/天山", "four-character city without 市"),
    ("吉林省延边朝鲜族自治州延吉市光明街1号", "延边朝鲜族/延吉", "autonomous prefecture"),
    ("延边州延吉市光明街1号", "延边朝鲜族/延吉", "autonomous prefecture, short form"),
    ("湖北省恩施土家族苗族自治州恩施市航空大道1号", "恩施土家族苗族/恩施", "autonomous prefecture"),
    ("恩施州恩施市航空大道1号", "恩施土家族苗族/恩施", "autonomous prefecture, short form"),
    ("浙江省义乌市稠州北路100号", "金华/义乌", "county-level city without its prefecture"),
    ("浙江省金华市义乌市稠州北路100号", "金华/义乌", "county-level city with its prefecture"),
    ("江苏省昆山市前进中路1号", "苏州/昆山", "county-level city without its prefecture"),
    ("上海市浦东新区世纪大道100号", "上海/浦东", "municipality, new district"),
    ("北京朝阳区建国路12号", "北京/朝阳", "municipality without 市"),
    ("阿拉善盟阿拉善左旗巴彦浩特镇", "阿拉善/阿拉善左", "league and banner"),
    ("南京市鼓楼区中山路1号", "南京/鼓楼", "a district name four cities share"),
    ("鼓楼区中山路1号", "-/鼓楼", "a shared district name and no city: the city is unknown"),
]


# ------------------------------------------------------------------ measuring


def clear_caches(*modules: types.ModuleType) -> None:
    for module in modules:
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def per_call_us(
    function: Callable, values: list[tuple], modules: Iterable[types.ModuleType] = (), repeats: int = 3
) -> float:
    """The best of ``repeats`` passes over ``values``, every cache emptied before each, after a warm-up."""
    if not values:
        return float("nan")
    for args in values[:200]:
        function(*args)
    best = float("inf")
    for _ in range(repeats):
        clear_caches(*modules)
        started = time.perf_counter()
        for args in values:
            function(*args)
        best = min(best, time.perf_counter() - started)
    return best / len(values) * 1e6


def demo_values(directory: Path) -> dict[str, list[tuple]]:
    ids, codes, phones, addresses = set(), set(), set(), set()
    for row in iter_customer_rows(directory):
        if row["cert_type"] == "resident_id" and row["cert_no"]:
            ids.add((row["cert_no"],))
        elif row["cert_type"] == "credit_code" and row["cert_no"]:
            codes.add((row["cert_no"],))
        for item in re.split(r"[;,，；、|]", row["phones"] or ""):
            if item.strip():
                phones.add((item, row["local_network"] or None))
        if row["address"].strip():
            addresses.add((row["address"],))
    return {
        name: sorted(values)
        for name, values in (("resident id", ids), ("credit code", codes), ("phone", phones), ("address", addresses))
    }


def compare(
    name: str, values: list[tuple], implementations: dict[str, Callable], reference: str, differences_out: list[str]
) -> None:
    """Every implementation's verdict against ``reference`` (the hand-written code), on the demo."""
    results = {label: [f(*v) for v in values] for label, f in implementations.items()}
    print(f"\n### {name}: {len(values):,} distinct demo values")
    for label, found in results.items():
        flagged = Counter(r[-1] for r in found if len(r) in (3, 4) and r[0] and r[-1])
        for note, count in flagged.items():
            print(f"{label}: {count:,} valid with a note: {note}")
    for label in implementations:
        if label == reference:
            continue
        differing = [
            (v, a, b) for v, a, b in zip(values, results[reference], results[label]) if verdict(a) != verdict(b)
        ]
        print(f"{label} against {reference}: {len(differing):,} verdicts differ")
        groups: dict[tuple, list] = defaultdict(list)
        for value, ours, theirs in differing:
            groups[(why(ours), why(theirs))].append((value, ours, theirs))
            differences_out.append("\t".join((name, label, " | ".join(map(str, value)), repr(ours), repr(theirs))))
        for (ours_why, theirs_why), rows in sorted(groups.items(), key=lambda g: -len(g[1])):
            print(f"  {len(rows):,} x  {reference}: {ours_why}  |  {label}: {theirs_why}")
            shown = rows if len(differing) <= MANY else rows[:SHOWN]
            for value, ours, theirs in shown:
                print(f"      {' | '.join(x for x in map(str, value) if x != 'None')}:  {ours}  ->  {theirs}")
            if len(shown) < len(rows):
                print(f"      ... {len(rows) - len(shown):,} more in the differences file")


def why(result: tuple) -> str:
    """A verdict's class, for grouping differences: valid or the reason without the value in it."""
    if len(result) == 2:  # addresses
        return (
            "city, district found"
            if all(result)
            else ("city only" if result[0] else "district only" if result[1] else "neither")
        )
    valid, reason = result[0], result[-1]
    if valid:
        return ("valid, " + reason) if reason else "valid" + (f" {result[1]}" if len(result) == 4 else "")
    return "invalid: " + re.sub(r"\d{3,}|'[^']*'", "…", str(reason))


def hard_case_table(
    title: str, cases: list[tuple], implementations: dict[str, Callable], show: Callable[[tuple], str], arity: int = 1
) -> None:
    labels = list(implementations)
    print(f"\n### {title}: hard cases (* = not the right answer)")
    print("| value | right | " + " | ".join(labels) + " | why |")
    print("| --- | --- | " + " | ".join("---" for _ in labels) + " | --- |")
    wrong = Counter()
    for case in cases:
        args, right = case[:arity], case[arity]
        cells = []
        for label in labels:
            answer = show(implementations[label](*args))
            wrong[label] += answer != right
            cells.append(answer if answer == right else f"*{answer}")
        value = " (area ".join(str(a) for a in args if a) + (")" if len([a for a in args if a]) > 1 else "")
        print(f"| {value} | {right} | " + " | ".join(cells) + f" | {case[-1]} |")
    print("not right: " + ", ".join(f"{label} {wrong[label]}/{len(cases)}" for label in labels))


def show_id(result: tuple) -> str:
    if not result[0]:
        return "invalid"
    return "valid, region unknown" if result[2] == "region unknown" else "valid"


def show_phone(result: tuple) -> str:
    if not result[0]:
        return "invalid"
    return f"{result[1]} {result[2]}" + (" (kept, not in the plan)" if result[3] else "")


def show_address(result: tuple) -> str:
    return "/".join(part or "-" for part in result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="a demo data directory; generated when it has no manifest.json")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the hand-written normalise.py")
    parser.add_argument("--differences", type=Path, default=Path(tempfile.gettempdir()) / "normaliser_differences.tsv")
    parser.add_argument(
        "--no-jionlp-on-demo", action="store_true", help="skip jionlp on the demo rows (about 3.5 ms a call)"
    )
    args = parser.parse_args()

    directory = args.dir or Path(tempfile.mkdtemp(prefix="c360demo-"))
    if not (directory / "manifest.json").exists():
        try:
            from demo import generate
        except ImportError:
            from loaders.demo_data import generate  # type: ignore[no-redef]
        generate(directory, args.customers, args.seed)
    hand = load_baseline(args.baseline)
    values = demo_values(directory)
    print(f"## demo {directory} ({args.customers:,} people, seed {args.seed}); hand-written = {args.baseline[:10]}")
    differences: list[str] = []

    ids = {"hand-written": ric_ours(hand), "library": ric_library, "adopted": ric_ours(adopted)}
    codes = {"hand-written": uscc_ours(hand), "library": uscc_library, "adopted": uscc_ours(adopted)}
    phones = {"hand-written": phone_ours(hand), "library": phone_library, "adopted": phone_ours(adopted)}
    addresses: dict[str, Callable] = {"hand-written": address_ours(hand)}
    cpca_functions = address_cpca()
    if cpca_functions:
        addresses["cpca"] = cpca_functions[0]
    jionlp_function = address_jionlp()
    if jionlp_function:
        addresses["jionlp"] = jionlp_function
    addresses["adopted"] = address_ours(adopted)

    compare("resident id", values["resident id"], ids, "hand-written", differences)
    compare("credit code", values["credit code"], codes, "hand-written", differences)
    compare("phone", values["phone"], phones, "hand-written", differences)
    on_demo = {k: v for k, v in addresses.items() if not (k == "jionlp" and args.no_jionlp_on_demo)}
    compare("address (city, district)", values["address"], on_demo, "hand-written", differences)
    args.differences.write_text(
        "check\timplementation\tvalue\thand-written\tother\n" + "\n".join(differences) + "\n", encoding="utf-8"
    )
    print(f"\nevery differing demo verdict: {args.differences}")

    hard_case_table("resident id", RESIDENT_ID_CASES, ids, show_id)
    hard_case_table("credit code", CREDIT_CODE_CASES, codes, lambda r: "valid" if r[0] else "invalid")
    hard_case_table("phone", PHONE_CASES, phones, show_phone, arity=2)
    hard_case_table("address", ADDRESS_CASES, addresses, show_address)

    print("\n### cost of one call, µs (distinct demo values, caches emptied; best of 3 passes)")
    plain = [v for v in values["phone"] if re.fullmatch(r"1[0-9]{10}", v[0])]
    other = [v for v in values["phone"] if not re.fullmatch(r"1[0-9]{10}", v[0])]
    fixed = [v for v in other if phone_library(*v)[1] == "fixed" or "-" in v[0]]
    slow = {"jionlp": 1, "cpca.transform": 1}
    address_functions = dict(addresses)
    if cpca_functions:
        address_functions["cpca.transform"] = cpca_functions[1]
    rows = [
        ("resident id", values["resident id"], ids),
        ("credit code", values["credit code"], codes),
        ("phone, plain 11 digits", plain, phones),
        ("phone, any other form", other, phones),
        ("phone, of which fixed lines", fixed, phones),
        ("address", values["address"], address_functions),
    ]
    print("| check | values | " + " | ".join(("hand-written", "library", "adopted")) + " |")
    print("| --- | --- | --- | --- | --- |")
    for name, sample, functions in rows:
        cells = []
        for label, function in functions.items():
            part = sample[:2000] if label in slow else sample
            cost = per_call_us(function, part, (hand, adopted), repeats=1 if label in slow else 3)
            cells.append(f"{label} {cost:,.1f}" + (f" ({len(part):,} values)" if len(part) != len(sample) else ""))
        print(f"| {name} | {len(sample):,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
