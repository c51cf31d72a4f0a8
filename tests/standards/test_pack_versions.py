"""Dated versions of each standard: consecutive, without overlaps or gaps, each day to one version."""

from datetime import date, timedelta

import pytest

from kejin.standards.registry import all_versions, resolve


def _by_id():
    out = {}
    for p in all_versions():
        out.setdefault(p.id, []).append(p)
    return {k: sorted(v, key=lambda p: p.effective.from_) for k, v in out.items()}


@pytest.mark.parametrize("pack_id", sorted(_by_id()))
def test_versions_follow_each_other_without_gap_or_overlap(pack_id):
    versions = _by_id()[pack_id]
    for older, newer in zip(versions, versions[1:]):
        assert older.effective.to is not None, f"{older.ref} ends before {newer.ref} starts"
        assert older.effective.to + timedelta(days=1) == newer.effective.from_, f"{older.ref} → {newer.ref}"
    assert versions[-1].effective.to is None, f"{versions[-1].ref} is the newest and still in force"


@pytest.mark.parametrize(
    "day,version",
    [
        ("2020-03-20", "2020"),
        ("2021-04-15", "2020"),
        ("2021-04-16", "2021"),  # the "4 + 5" revision: R&D staff added
        ("2022-06-01", "2021"),
        ("2024-04-29", "2021"),
        ("2024-04-30", "2024"),
    ],
)
def test_star_attributes_version_in_force(day, version):
    (pack,) = resolve("star-attributes", on=date.fromisoformat(day))
    assert pack.version == version


def test_all_on_a_day_between_revisions_keeps_star_attributes():
    assert "star-attributes" in {p.id for p in resolve("all", on=date(2023, 1, 1))}
