"""Normalisation of every matching field: the same person written two ways becomes one key.

Each function is pure, never raises on garbage (it reports ``valid=False`` with a
reason instead) and is cached, because the same names, phones and streets recur
millions of times in a national customer base. Unicode work is delegated to
maintained libraries: ``unicodedata`` NFKC for full-width forms, OpenCC for
traditional to simplified Chinese, pypinyin for homophones, python-stdnum for the
region codes and check characters of resident ids and credit codes, phonenumbers
(libphonenumber) for the national numbering plan. Addresses are still parsed here:
bench/normaliser_libraries.py and docs/benchmarks.md (issue 16) say why.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import opencc
import phonenumbers
from stdnum import numdb
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

_CACHE = 1 << 18
_TO_SIMPLIFIED = opencc.OpenCC("t2s")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NOT_NAME = re.compile(rf"[^0-9a-z{_HAN}]+")
_SPACES = re.compile(r"\s+")


def _clean(raw: object) -> str:
    """NFKC folds full-width digits, letters and punctuation into their ordinary forms."""
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip()


@lru_cache(maxsize=_CACHE)
def to_simplified(text: str) -> str:
    return _TO_SIMPLIFIED.convert(text) if text else ""


# ---------------------------------------------------------------- names

# Legal-form words that organisations add or drop between systems; the rest is the name's core.
_ORGANISATION_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "集团", "公司", "总部")


@dataclass(frozen=True, slots=True)
class NameKey:
    text: str
    pinyin: str
    initials: str
    surname: str
    core: str
    is_empty: bool
    words: str = ""


@lru_cache(maxsize=1)
def _syllables() -> Callable[[str], list[str]]:
    """pypinyin, imported on the first name normalised: its phrase dictionary takes a quarter of a
    second to load, which every `c360` command paid, even those that normalise no name."""
    from pypinyin import Style, lazy_pinyin

    return functools.partial(lazy_pinyin, style=Style.NORMAL, errors="default")


@lru_cache(maxsize=_CACHE)
def normalise_name(raw: str) -> NameKey:
    """Simplified, lower-case, without spaces or punctuation; pinyin without tones for homophones."""
    simplified = to_simplified(_clean(raw)).lower()
    text = _NOT_NAME.sub("", simplified)
    if not text:
        return NameKey("", "", "", "", "", True)
    syllables = [s for s in _syllables()(text) if s.strip()]
    pinyin = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    core = text
    for form in _ORGANISATION_FORMS:
        if core.endswith(form) and len(core) > len(form) + 1:
            core = core[: -len(form)]
    has_han = bool(re.search(rf"[{_HAN}]", text))
    words = " ".join(_NOT_NAME.split(simplified)).strip()
    return NameKey(
        text=text,
        pinyin=pinyin,
        initials=initials,
        surname=text[0] if has_han else "",
        core=core,
        is_empty=False,
        words=words,
    )


# ---------------------------------------------------------------- resident identity cards

# Region codes of the residence permits of Hong Kong, Macao and Taiwan residents (2018), which use the
# resident-id format; stdnum's table of administrative divisions has no 830000 (Taiwan is 71 there).
_RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})


@dataclass(frozen=True, slots=True)
class ResidentId:
    """``region_known`` is False when the first six digits are in no edition of the official table of
    administrative-division codes (python-stdnum's ``cn/loc``): the id stays valid (check character
    and birth date hold, and the merge rules go by validity), but the region deserves a look."""

    number: str
    valid: bool
    reason: str
    birth_date: date | None = None
    gender: str | None = None
    region: str = ""
    from_15: bool = False
    region_known: bool = True


def resident_id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits (callers make sure they are ASCII digits), by
    python-stdnum, whose one int(first17, 13) is faster than a weighted sum over the digits."""
    return _ric.calc_check_digit(first17 + "0")


def _birth_date(digits: str) -> date | None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


@lru_cache(maxsize=1 << 14)
def _region_known(code: str) -> bool:
    """Any county (or province, city) that ever had this code, in stdnum's table: once per code, since
    a look-up costs about 50 µs and there are only a few thousand codes. stdnum's own ``validate``
    also asks that the county's code existed in the birth year; that is not asked here, because an id
    keeps the code of where it was issued, often years after the birth (an id issued in Chongqing
    after 1997 has a 50 code whatever the birth year; stdnum refuses those of anyone born before 1997)."""
    if code in _RESIDENCE_PERMIT_REGIONS:
        return True
    regions = numdb.get("cn/loc")  # read once, on the first look-up (60 ms, 10 MB)
    return any("county" in found for _, found in regions.info(code))


@lru_cache(maxsize=_CACHE)
def parse_resident_id(raw: str) -> ResidentId:
    """18-digit ids are checked; 15-digit ones (issued before 1999) are widened to 18 digits. A region
    code missing from the official table is flagged (``region_known``), not refused."""
    number = _SPACES.sub("", _clean(raw)).upper()
    if not number:
        return ResidentId("", False, "empty")
    from_15 = False
    if len(number) == 15:
        if not number.isascii() or not number.isdigit():
            return ResidentId("", False, "a 15-digit id must be all digits")
        first17 = number[:6] + "19" + number[6:]
        number = first17 + resident_id_check_character(first17)
        from_15 = True
    elif len(number) != 18:
        return ResidentId("", False, f"has {len(number)} characters, not 18 (or 15)")
    first17, check = number[:17], number[17]
    if not number.isascii() or not first17.isdigit() or not (check.isdigit() or check == "X"):
        return ResidentId("", False, "only digits, and X as the last character, are allowed")
    born = _birth_date(number[6:14])
    if born is None:
        return ResidentId("", False, "the birth date in it is not a date")
    if resident_id_check_character(first17) != check:
        return ResidentId("", False, "check character does not match")
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number, True, "", born, gender, number[:6], from_15, _region_known(number[:6]))


# ---------------------------------------------------------------- unified social credit codes

_CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class CreditCode:
    number: str
    valid: bool
    reason: str
    org_code: str = ""


def credit_code_check_character(first17: str) -> str:
    """ISO 7064 MOD 31-3 (GB 32100), by python-stdnum; callers make sure the characters are in the alphabet."""
    return _uscc.calc_check_digit(first17)


@lru_cache(maxsize=_CACHE)
def parse_credit_code(raw: str) -> CreditCode:
    """The 18-character 统一社会信用代码 (GB 32100). Characters 3-8 are the registering authority's
    region code, digits (as python-stdnum checks); the first two, authority and kind, may be letters
    (A military, N agriculture, Y other), which stdnum's ``validate`` refuses, so it is not called."""
    number = _SPACES.sub("", _clean(raw)).upper()
    if not number:
        return CreditCode("", False, "empty")
    if len(number) != 18:
        return CreditCode("", False, f"has {len(number)} characters, not 18")
    bad = sorted({c for c in number if c not in _CREDIT_CHARSET})
    if bad:
        return CreditCode("", False, f"characters {''.join(bad)!r} are not used in credit codes")
    if not number[2:8].isdigit():
        return CreditCode("", False, f"characters 3-8 ({number[2:8]}) must be a region code of six digits")
    if credit_code_check_character(number[:17]) != number[17]:
        return CreditCode("", False, "check character does not match")
    return CreditCode(number, True, "", number[8:17])


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def org_code_check_character(first8: str) -> str:
    """GB 11714 (组织机构代码): weights 3 7 9 10 5 8 4 2 over the eight characters, modulo 11."""
    remainder = 11 - sum(_ORG_VALUES[c] * w for c, w in zip(first8, _ORG_WEIGHTS)) % 11
    return "X" if remainder == 10 else "0" if remainder == 11 else str(remainder)


@lru_cache(maxsize=_CACHE)
def parse_org_code(raw: str) -> CreditCode:
    """The older 9-character organisation code, often written ``XXXXXXXX-X``; characters 9-17 of a
    credit code embed it, so both name one organisation."""
    number = _SPACES.sub("", _clean(raw)).upper().replace("-", "")
    if not number:
        return CreditCode("", False, "empty")
    if len(number) != 9:
        return CreditCode("", False, f"has {len(number)} characters, not 9")
    if any(c not in _ORG_VALUES for c in number[:8]):
        return CreditCode("", False, "characters 1-8 must be digits or capital letters")
    if org_code_check_character(number[:8]) != number[8]:
        return CreditCode("", False, "check character does not match")
    return CreditCode(number, True, "", number)


def certificate_key(kind: str, number: str) -> str:
    """One key per certificate: a credit code's characters 9-17 are the organisation code it embeds,
    so the two forms of one organisation's certificate meet in blocking, comparison and the rules."""
    if not number:
        return ""
    if kind == "credit_code" and len(number) == 18:
        return "org:" + number[8:17]
    if kind == "org_code":
        return "org:" + number
    return number


# ---------------------------------------------------------------- certificates of any kind


@dataclass(frozen=True, slots=True)
class Certificate:
    kind: str
    number: str
    valid: bool
    verifiable: bool
    reason: str


_OTHER_NUMBER = re.compile(r"[^0-9A-Z]")


@lru_cache(maxsize=_CACHE)
def normalise_certificate(cert_type: str, cert_no: str) -> Certificate:
    """Only resident ids and credit codes are verifiable; other numbers are kept as given, cleaned."""
    kind = _clean(cert_type).lower() or "blank"
    cleaned = _SPACES.sub("", _clean(cert_no)).upper()
    if kind == "blank" and cleaned:
        resident = parse_resident_id(cleaned)
        if resident.valid:
            return Certificate("resident_id", resident.number, True, True, "")
        return Certificate("other", _OTHER_NUMBER.sub("", cleaned), False, False, "certificate type not given")
    if kind == "resident_id":
        resident = parse_resident_id(cleaned)
        return Certificate(kind, resident.number or cleaned, resident.valid, True, resident.reason)
    if kind == "credit_code":
        code = parse_credit_code(cleaned)
        return Certificate(kind, code.number or cleaned, code.valid, True, code.reason)
    if kind == "org_code":
        code = parse_org_code(cleaned)
        return Certificate(kind, code.number or cleaned, code.valid, True, code.reason)
    number = _OTHER_NUMBER.sub("", cleaned)
    if kind == "blank":
        return Certificate(kind, "", False, False, "no certificate")
    if kind == "passport" and not 5 <= len(number) <= 12:
        return Certificate(kind, number, False, False, f"passport number has {len(number)} characters")
    return Certificate(kind, number, bool(number), False, "" if number else "empty")


# ---------------------------------------------------------------- birth dates


@lru_cache(maxsize=1 << 16)
def normalise_birth_date(raw: str) -> str:
    """YYYY-MM-DD (of a longer time, its day), or empty when the text is no date (1985-02-30, 0000-00-00):
    a date that is not one is missing evidence, not a disagreement with every real date."""
    text = _clean(raw)[:10]
    if len(text) != 10:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return ""


# ---------------------------------------------------------------- phones

# The national numbering plan is libphonenumber's (the phonenumbers package, region CN): which 1xx
# prefixes are mobile, which area codes exist and how long their local numbers are, which numbers
# are 400/800 service numbers. Its mobile ranges are used as a regular expression (half a
# microsecond), since most phones are mobiles; anything else is classified by
# phonenumbers.number_type on the digits our cleaning leaves (about 15 µs; phonenumbers.parse on
# the raw text costs 80 µs and does not know 转 for an extension).
_PLAN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _PLAN is not None and _PLAN.mobile is not None and _PLAN.mobile.national_number_pattern
_MOBILE = re.compile(f"(?:{_PLAN.mobile.national_number_pattern})", re.ASCII)
_PLAN_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed",
    phonenumbers.PhoneNumberType.TOLL_FREE: "service",  # 800
    phonenumbers.PhoneNumberType.SHARED_COST: "service",  # 400, 95xxxxxxxx
}
# The plan's number types in the order phonenumbers.number_type tries them, each with its lengths and
# its pattern compiled once (number_type looks each pattern up in a cache on every call: 30 µs a
# number, a third of a customer row's checks when a file has many fixed lines). A type our kinds do
# not name (premium rate, VoIP, ...) stops the search as number_type would, with no kind.
_PLAN_TYPES = (
    ("premium_rate", None),
    ("toll_free", "service"),
    ("shared_cost", "service"),
    ("voip", None),
    ("personal_number", None),
    ("pager", None),
    ("uan", None),
    ("voicemail", None),
    ("fixed_line", "fixed"),
    ("mobile", "mobile"),
)


def _plan_desc(name: str) -> tuple[frozenset[int], re.Pattern[str]] | None:
    desc = getattr(_PLAN, name)
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)


_PLAN_GENERAL = _plan_desc("general_desc")
_PLAN_DESCS = tuple((found, kind) for name, kind in _PLAN_TYPES if (found := _plan_desc(name)) is not None)


def _matches(desc: tuple[frozenset[int], re.Pattern[str]] | None, national: str) -> bool:
    if desc is None:
        return False
    lengths, pattern = desc
    return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


def _plan_kind(national: str) -> str | None:
    """Our kind of a national significant number as the plan classifies it (phonenumbers.number_type
    mapped through _PLAN_KINDS: a test holds the two equal), or None when the plan does not list it."""
    if not _matches(_PLAN_GENERAL, national):
        return None
    return next((kind for desc, kind in _PLAN_DESCS if _matches(desc, national)), None)


_PHONE_JUNK = re.compile(r"[\s\-().+/]")
_EXTENSION = re.compile(r"(?:ext\.?|分机|转|x|#)\d{1,6}$", re.IGNORECASE)
# Only to split a number the plan does not list (see _unlisted) into area code and local number.
_THREE_DIGIT_AREAS = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029")
PHONE_UNLISTED = "not in the national numbering plan: kept as written"


class Phone(NamedTuple):
    """A tuple, not a dataclass: made once per phone of a million-row file, and a frozen
    dataclass takes twice as long to build. ``kind`` is mobile, fixed, service (400/800), missing
    or invalid. A valid phone's ``reason`` is empty, or PHONE_UNLISTED for a fixed line kept although
    the plan does not list it."""

    key: str
    kind: str
    valid: bool
    reason: str = ""


def normalise_phone(raw: str, area_code: str | None = None) -> Phone:
    """Mobiles become 11 digits; fixed lines become 0 + area code + local number (the area taken from
    the record's local network when the source left it off); 400/800 numbers their 10 digits. Most
    phones already are their key: those skip the cache, whose misses on a million distinct numbers
    cost more than the answer."""
    if _MOBILE.fullmatch(raw):
        return Phone(raw, "mobile", True)
    return _normalise_phone(raw, area_code)


def _national_number(digits: str, area_code: str | None) -> tuple[str, bool] | Phone:
    """The national significant number (no trunk 0, no country code), and whether it was written as
    a whole number (with its 0, +86 or an area code); or the Phone saying why there is none."""
    for prefix in ("0086", "86"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) - rest.startswith("0") in (9, 10, 11):
            return rest[1:] if rest.startswith("0") else rest, True
    if digits.startswith("00"):
        return Phone("", "invalid", False, "an international number outside China")
    if digits.startswith("0"):
        return digits[1:], True
    if len(digits) in (7, 8) and digits[0] not in "01":
        area = _clean(area_code or "")
        if area.isascii() and area.isdigit() and area.startswith("0") and len(area) in (3, 4):
            return area[1:] + digits, True
        return Phone("", "invalid", False, "fixed-line number without area code")
    return digits, False


def _unlisted(national: str, whole: bool) -> Phone:
    """A number the plan does not list. A fixed line written whole, area code + 7 or 8 digits, is
    kept (valid, reason PHONE_UNLISTED): the plan knows each area's local-number length, and records older
    than a city's change from 7 to 8 digits keep the old numbers, which still link those records."""
    if len(national) == 11 and national[0] == "1":
        return Phone("", "invalid", False, f"{national[:3]} is not a mobile prefix in the numbering plan")
    if not whole:
        return Phone("", "invalid", False, f"{len(national)} digits is neither a mobile nor a fixed line")
    number = "0" + national
    local = number[3 if number[:3] in _THREE_DIGIT_AREAS else 4 :]
    if len(local) in (7, 8) and local[0] not in "01":
        return Phone(number, "fixed", True, PHONE_UNLISTED)
    return Phone("", "invalid", False, "fixed-line number must be area code + 7 or 8 digits")


@lru_cache(maxsize=_CACHE)
def _normalise_phone(raw: str, area_code: str | None) -> Phone:
    text = _EXTENSION.sub("", _SPACES.sub("", _clean(raw).lower()))
    digits = _PHONE_JUNK.sub("", text)
    if not digits:
        return Phone("", "missing", False, "empty")
    if not digits.isascii() or not digits.isdigit():
        return Phone("", "invalid", False, "contains characters other than digits and separators")
    found = _national_number(digits, area_code)
    if isinstance(found, Phone):
        return found
    national, whole = found
    if _MOBILE.fullmatch(national):
        return Phone(national, "mobile", True)
    if not national or national[0] == "0" or len(national) > 12:
        return Phone("", "invalid", False, f"{len(digits)} digits is neither a mobile nor a fixed line")
    kind = _plan_kind(national)
    if kind == "fixed":
        return Phone("0" + national, "fixed", True)
    if kind is not None:
        return Phone(national, kind, True)
    return _unlisted(national, whole)


_PHONE_SPLIT = re.compile(r"[;,，；、|]")


def normalise_phones(raw: str | list[str] | tuple[str, ...], area_code: str | None = None) -> tuple[Phone, ...]:
    items = raw if isinstance(raw, (list, tuple)) else _PHONE_SPLIT.split(str(raw or ""))
    return tuple(normalise_phone(str(item), area_code) for item in items if str(item).strip())


# ---------------------------------------------------------------- e-mail

_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$")


@dataclass(frozen=True, slots=True)
class Email:
    key: str
    valid: bool
    local: str = ""
    domain: str = ""


@lru_cache(maxsize=_CACHE)
def normalise_email(raw: str) -> Email:
    key = _SPACES.sub("", _clean(raw)).lower().replace("。", ".")
    if not _EMAIL.match(key) or ".." in key:
        return Email(key, False)
    local, domain = key.rsplit("@", 1)
    return Email(key, True, local, domain)


# ---------------------------------------------------------------- service numbers

_SERVICE_NUMBER_JUNK = re.compile(r"[\s\-()（）.]")


def normalise_service_number(raw: str) -> str | None:
    """Service numbers are phone numbers or broadband accounts: compared without separators,
    case or a +86 prefix. None when nothing number-like is left."""
    cleaned = _SERVICE_NUMBER_JUNK.sub("", unicodedata.normalize("NFKC", raw)).lower()
    if not cleaned or not cleaned.replace("_", "").replace("@", "").isalnum():
        return None
    return cleaned[3:] if cleaned.startswith("+86") else cleaned


# ---------------------------------------------------------------- addresses

# Province-level divisions by their short names; their long forms are the short name plus a suffix.
_PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_PROVINCE = re.compile(
    rf"^(?P<province>{'|'.join(_PROVINCES)})(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)?"
)
_CITY = re.compile(rf"^(?P<city>[{_HAN}]{{2,7}}?)(?:市|自治州|地区|盟)")
_BARE_CITY = re.compile(rf"^(?P<city>[{_HAN}]{{2}})(?=[{_HAN}]{{1,4}}(?:区|县|旗))")
_DISTRICT = re.compile(rf"^(?P<district>[{_HAN}]{{1,6}}?)(?:新区|区|县|旗|市)")
_STREET = re.compile(rf"^(?P<street>[{_HAN}0-9]{{1,12}}?(?:大道|大街|街道|路|街|道|巷|弄|胡同|镇|乡))")
_NUMBER = re.compile(r"^(?P<number>\d+(?:-\d+)?)(?:号|#)?")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_ADDRESS_JUNK = re.compile(rf"[^0-9a-z\-{_HAN}]+")
_ADDRESS_WORD = re.compile(rf"[0-9a-z\-]+|[{_HAN}]+")
_NUMBERED = re.compile(r"([〇零一二三四五六七八九十]+)(?=号|栋|幢|单元|楼|室|层)")


def _chinese_number(match: re.Match[str]) -> str:
    """Small Chinese numerals in house numbers (十二号 -> 12号); larger ones are rare in addresses."""
    text = match.group(1)
    if "十" not in text:
        return text.translate(_CHINESE_DIGITS)
    tens, _, units = text.partition("十")
    return str(int(tens.translate(_CHINESE_DIGITS) or "1") * 10 + int(units.translate(_CHINESE_DIGITS) or "0"))


def _unparsed_words(spaced: str, consumed: int) -> list[str]:
    """The words of ``spaced`` after its first ``consumed`` non-separator characters."""
    words = []
    for word in _ADDRESS_WORD.findall(spaced):
        if consumed >= len(word):
            consumed -= len(word)
            continue
        words.append(word[consumed:])
        consumed = 0
    return words


def region_length(raw: str) -> int:
    """How many leading characters of an address name its province and city: all a masked address
    shows (app/access.py). 0 when it does not start with them; read as written (no conversion that
    could change its length)."""
    province = _PROVINCE.match(raw)
    end = province.end() if province else 0
    if province and province.group("province") in _MUNICIPALITIES:
        return end
    rest = raw[end:]
    city = _CITY.match(rest) or _BARE_CITY.match(rest)
    return end + (city.end() if city else 0)


@dataclass(frozen=True, slots=True)
class Address:
    key: str
    tokens: tuple[str, ...]
    province: str
    city: str
    district: str
    street: str
    number: str
    is_empty: bool


@lru_cache(maxsize=_CACHE)
def normalise_address(raw: str) -> Address:
    """Parse province / city / district / street / number; the key drops the administrative
    suffixes and the province, which sources abbreviate away more often than anything else."""
    spaced = _NUMBERED.sub(_chinese_number, to_simplified(_clean(raw)).lower())
    text = _ADDRESS_JUNK.sub("", spaced)
    if not text:
        return Address("", (), "", "", "", "", "", True)
    parts: dict[str, str] = {}
    rest = text
    for name, pattern in (
        ("province", _PROVINCE),
        ("city", _CITY),
        ("district", _DISTRICT),
        ("street", _STREET),
        ("number", _NUMBER),
    ):
        if name == "city" and parts.get("province") in _MUNICIPALITIES:
            parts["city"] = parts["province"]
            continue
        match = pattern.match(rest)
        if match is None and name == "city":
            match = _BARE_CITY.match(rest)
        if match is not None:
            parts[name] = match.group(name)
            rest = rest[match.end() :]
    # What the parser could not place keeps its own word breaks (latin addresses, building names).
    rest_words = _unparsed_words(spaced, len(text) - len(rest)) if rest else []
    tokens = tuple(
        t
        for t in (
            parts.get("city", ""),
            parts.get("district", ""),
            parts.get("street", ""),
            parts.get("number", ""),
            *rest_words,
        )
        if t
    )
    return Address(
        key="".join(tokens),
        tokens=tokens,
        province=parts.get("province", ""),
        city=parts.get("city", ""),
        district=parts.get("district", ""),
        street=parts.get("street", ""),
        number=parts.get("number", ""),
        is_empty=False,
    )
