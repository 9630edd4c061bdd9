"""Valid certificate numbers for tests, made with the product's own check characters."""

from __future__ import annotations

from app.resolution.normalise import credit_code_check_character, resident_id_check_character


def resident_id(sequence: int, born: str = "19800101", region: str = "350102") -> str:
    """An 18-character resident id: region, birth date, a three-digit sequence, its check character."""
    first17 = f"{region}{born}{sequence:03d}"
    return first17 + resident_id_check_character(first17)


def credit_code(body: str) -> str:
    """A unified social credit code of an enterprise registered in Fuzhou (91 350102 ...)."""
    first17 = ("91350102" + body)[:17]
    return first17 + credit_code_check_character(first17)
