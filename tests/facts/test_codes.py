import polars as pl
import pytest

from kejin.facts import codes

# Published-format codes from the shared sample (check characters computed independently by hand)
VALID = ["91440305787789323F", "91310115619345141E", "91110108933283671B"]


def test_check_character_by_hand():
    # W = 3^i mod 31; for 91440305787789323 the weighted sum mod 31 gives F
    code = "91440305787789323F"
    vals = [codes.USCC_CHARSET.index(c) for c in code[:17]]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert list(codes.USCC_WEIGHTS) == weights
    check = (31 - sum(v * w for v, w in zip(vals, weights)) % 31) % 31
    assert codes.USCC_CHARSET[check] == "F"


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code):
    assert codes.uscc_problem(code) is None


@pytest.mark.parametrize(
    "code,reason",
    [
        ("91440305787789323G", "uscc.check"),
        ("9144030578778932", "uscc.length"),
        ("91440305787789323I", "uscc.charset"),
        ("91440305787789323f", "uscc.charset"),
        ("9144030578778932OF", "uscc.charset"),
    ],
)
def test_invalid_codes(code, reason):
    assert codes.uscc_problem(code)[0] == reason


def test_vectorised_check_agrees_with_scalar():
    import random

    rng = random.Random(3)
    sample = []
    for _ in range(2000):
        body = "".join(rng.choice(codes.USCC_CHARSET) for _ in range(17))
        last = rng.choice(codes.USCC_CHARSET) if rng.random() < 0.5 else codes.uscc_check_char(body)
        sample.append(body + last)
    sample += ["SHORT", None, "91440305787789323F"]
    mask = codes.uscc_valid_mask(pl.Series(sample, dtype=pl.String))
    for code, ok in zip(sample, mask):
        assert ok == (code is None or codes.uscc_problem(code) is None), code


@pytest.mark.parametrize("code,ok", [("440305", True), ("110108", True), ("990000", False), ("44030", False), ("4403a5", False)])
def test_region(code, ok):
    assert (codes.region_problem(code) is None) == ok
    assert pl.DataFrame({"r": [code]}).select(codes.region_valid_expr("r")).item() == ok


@pytest.mark.parametrize(
    "code,ok",
    [("C3971", True), ("I6513", True), ("A01", True), ("C99", False), ("I62", False), ("Z12", False), ("C3", False), ("K70", True), ("T98", True)],
)
def test_industry(code, ok):
    assert (codes.industry_problem(code) is None) == ok
    assert pl.DataFrame({"i": [code]}).select(codes.industry_valid_expr("i")).item() == ok
