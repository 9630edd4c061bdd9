"""Normalisation of every matching field: the same person written two ways becomes one key.

Each function is pure, never raises on garbage (it reports ``valid=False`` with a
reason instead) and is cached, because the same names, phones and streets recur
millions of times in a national customer base. Unicode work is delegated to
maintained libraries: ``unicodedata`` NFKC for full-width forms, OpenCC for
traditional to simplified Chinese, pypinyin for homophones.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import opencc
from pypinyin import Style, lazy_pinyin

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


@lru_cache(maxsize=_CACHE)
def normalise_name(raw: str) -> NameKey:
    """Simplified, lower-case, without spaces or punctuation; pinyin without tones for homophones."""
    text = _NOT_NAME.sub("", to_simplified(_clean(raw)).lower())
    if not text:
        return NameKey("", "", "", "", "", True)
    syllables = [s for s in lazy_pinyin(text, style=Style.NORMAL, errors="default") if s.strip()]
    pinyin = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    core = text
    for form in _ORGANISATION_FORMS:
        if core.endswith(form) and len(core) > len(form) + 1:
            core = core[: -len(form)]
    has_han = bool(re.search(rf"[{_HAN}]", text))
    words = " ".join(_NOT_NAME.split(to_simplified(_clean(raw)).lower())).strip()
    return NameKey(text=text, pinyin=pinyin, initials=initials, surname=text[0] if has_han else "",
                   core=core, is_empty=False, words=words)


# ---------------------------------------------------------------- resident identity cards

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits of a resident id: the province-level division that issued it.
_PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
})


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    valid: bool
    reason: str
    birth_date: date | None = None
    gender: str | None = None
    region: str = ""
    from_15: bool = False


_ID_DIGIT_OFFSET = ord("0") * sum(_ID_WEIGHTS)


def resident_id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits (callers make sure they are digits). Summed over the
    ASCII codes and corrected once: the loader checks a million ids, and int() per digit was most of it."""
    return _ID_CHECK[(sum(map(operator.mul, first17.encode("ascii", "replace"), _ID_WEIGHTS)) - _ID_DIGIT_OFFSET) % 11]


def _birth_date(digits: str) -> date | None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


@lru_cache(maxsize=_CACHE)
def parse_resident_id(raw: str) -> ResidentId:
    """18-digit ids are checked; 15-digit ones (issued before 1999) are widened to 18 digits."""
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
    if number[:2] not in _PROVINCE_CODES:
        return ResidentId("", False, f"region code {number[:6]} names no province")
    born = _birth_date(number[6:14])
    if born is None:
        return ResidentId("", False, f"birth date {number[6:14]} is not a date")
    if resident_id_check_character(first17) != check:
        return ResidentId("", False, "check character does not match")
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number, True, "", born, gender, number[:6], from_15)


# ---------------------------------------------------------------- unified social credit codes

_CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUES = {c: i for i, c in enumerate(_CREDIT_CHARSET)}


@dataclass(frozen=True, slots=True)
class CreditCode:
    number: str
    valid: bool
    reason: str
    org_code: str = ""


def credit_code_check_character(first17: str) -> str:
    remainder = 31 - sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS)) % 31
    return _CREDIT_CHARSET[0 if remainder == 31 else remainder]


@lru_cache(maxsize=_CACHE)
def parse_credit_code(raw: str) -> CreditCode:
    """The 18-character 统一社会信用代码 (GB 32100) with its mod-31 check character."""
    number = _SPACES.sub("", _clean(raw)).upper()
    if not number:
        return CreditCode("", False, "empty")
    if len(number) != 18:
        return CreditCode("", False, f"has {len(number)} characters, not 18")
    bad = sorted({c for c in number if c not in _CREDIT_VALUES})
    if bad:
        return CreditCode("", False, f"characters {''.join(bad)!r} are not used in credit codes")
    if credit_code_check_character(number[:17]) != number[17]:
        return CreditCode("", False, "check character does not match")
    return CreditCode(number, True, "", number[8:17])


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
    number = _OTHER_NUMBER.sub("", cleaned)
    if kind == "blank":
        return Certificate(kind, "", False, False, "no certificate")
    if kind == "passport" and not 5 <= len(number) <= 12:
        return Certificate(kind, number, False, False, f"passport number has {len(number)} characters")
    return Certificate(kind, number, bool(number), False, "" if number else "empty")


# ---------------------------------------------------------------- phones

_PHONE_JUNK = re.compile(r"[\s\-().+/]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_THREE_DIGIT_AREAS = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029")
_EXTENSION = re.compile(r"(?:ext|转|x|#)\d{1,6}$", re.IGNORECASE)


class Phone(NamedTuple):
    """A tuple, not a dataclass: made once per phone of a million-row file, and a frozen
    dataclass takes twice as long to build."""

    key: str
    kind: str
    valid: bool
    reason: str = ""


def _area_length(digits: str) -> int:
    return 3 if digits[:3] in _THREE_DIGIT_AREAS else 4


_PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalise_phone(raw: str, area_code: str | None = None) -> Phone:
    """Mobiles become 11 digits; fixed lines become area code + local number (the area taken from
    the record's local network when the source left it off). Most phones already are their key:
    those skip the cache, whose misses on a million distinct numbers cost more than the answer."""
    if _PLAIN_MOBILE.fullmatch(raw):
        return Phone(raw, "mobile", True)
    return _normalise_phone(raw, area_code)


@lru_cache(maxsize=_CACHE)
def _normalise_phone(raw: str, area_code: str | None) -> Phone:
    text = _EXTENSION.sub("", _SPACES.sub("", _clean(raw).lower()))
    digits = _PHONE_JUNK.sub("", text)
    if not digits:
        return Phone("", "missing", False, "empty")
    if not digits.isdigit():
        return Phone("", "invalid", False, "contains characters other than digits and separators")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11, 12) and digits[len(prefix)] != "0":
            digits = digits[len(prefix):]
            if not _MOBILE.match(digits):
                digits = "0" + digits
            break
    if digits.startswith("0") and len(digits) == 12 and digits[1] == "1" and _MOBILE.match(digits[1:]):
        digits = digits[1:]
    if len(digits) == 11 and digits[0] == "1":
        if _MOBILE.match(digits):
            return Phone(digits, "mobile", True)
        return Phone("", "invalid", False, f"{digits[:3]} is not a mobile prefix")
    if digits.startswith("0"):
        local = digits[_area_length(digits):]
        if len(local) in (7, 8) and local[0] not in "01":
            return Phone(digits, "fixed", True)
        return Phone("", "invalid", False, "fixed-line number must be area code + 7 or 8 digits")
    if len(digits) in (7, 8) and digits[0] not in "01":
        area = _clean(area_code or "")
        if area.isdigit() and area.startswith("0") and len(area) in (3, 4):
            return Phone(area + digits, "fixed", True)
        return Phone("", "invalid", False, "fixed-line number without area code")
    return Phone("", "invalid", False, f"{len(digits)} digits is neither a mobile nor a fixed line")


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
_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
              "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
              "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_PROVINCE = re.compile(
    rf"^(?P<province>{'|'.join(_PROVINCES)})(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)?")
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
    for name, pattern in (("province", _PROVINCE), ("city", _CITY), ("district", _DISTRICT),
                          ("street", _STREET), ("number", _NUMBER)):
        if name == "city" and parts.get("province") in _MUNICIPALITIES:
            parts["city"] = parts["province"]
            continue
        match = pattern.match(rest)
        if match is None and name == "city":
            match = _BARE_CITY.match(rest)
        if match is not None:
            parts[name] = match.group(name)
            rest = rest[match.end():]
    # What the parser could not place keeps its own word breaks (latin addresses, building names).
    rest_words = _unparsed_words(spaced, len(text) - len(rest)) if rest else []
    tokens = tuple(t for t in (parts.get("city", ""), parts.get("district", ""), parts.get("street", ""),
                               parts.get("number", ""), *rest_words) if t)
    return Address(key="".join(tokens), tokens=tokens, province=parts.get("province", ""),
                   city=parts.get("city", ""), district=parts.get("district", ""),
                   street=parts.get("street", ""), number=parts.get("number", ""), is_empty=False)
