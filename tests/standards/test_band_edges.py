"""Every threshold band edge of every pack, on both sides.

The pack cases check the official numbers; this checks that each edge is read exactly as its
pack says: ``ge``/``le`` include the threshold, ``gt``/``lt`` exclude it, and a value one
fen-sized step on the other side falls into the neighbouring band.
"""

import polars as pl
import pytest

from kejin.rules import expr as ex
from kejin.standards import engine
from kejin.standards.registry import all_versions

EDGES = []
for pack in all_versions():
    for ind in pack.indicators:
        for sc in ind.scales:
            if sc.points_from_value:
                continue
            for i, tier in enumerate(sc.tiers[:-1]):
                if tier.test and tier.test[0] != "when":
                    EDGES.append((pack, ind, sc, i))


def points_at(ind, sc, values):
    col = f"v__{ind.id}__{sc.id}"
    frame = pl.DataFrame({col: values}, schema={col: pl.Float64})
    tests = {
        f"t__{ind.id}__{sc.id}__{i}": engine.tier_test(t, pl.col(col), ex.Compiler())
        for i, t in enumerate(sc.tiers[:-1])
    }
    frame = frame.with_columns(**tests)
    band = engine.scale_band(ind, sc)
    return frame.select(band.lo.alias("lo"), band.hi.alias("hi")).rows()


@pytest.mark.parametrize("pack,ind,sc,i", EDGES, ids=[f"{p.ref}:{s.id}:{i}" for p, _, s, i in EDGES])
def test_edge(pack, ind, sc, i):
    op, threshold = sc.tiers[i].test
    step = max(abs(threshold) * 1e-7, 1e-9)
    inside = threshold if op in ("ge", "le") else (threshold + step if op == "gt" else threshold - step)
    outside = {"ge": threshold - step, "gt": threshold, "le": threshold + step, "lt": threshold}[op]
    (lo_in, hi_in), (lo_out, hi_out) = points_at(ind, sc, [inside, outside])
    assert (lo_in, hi_in) == sc.tiers[i].band, f"{threshold} ({op}) should score tier {i}"
    # outside the edge: the first later tier that holds for that value
    later = next(
        t for t in sc.tiers[i + 1 :]
        if t.test is None or getattr(pl.Series([outside]), t.test[0])(t.test[1]).item()
    )
    assert (lo_out, hi_out) == later.band, f"{outside} should fall to the next band"


def test_edges_found():
    assert len(EDGES) > 80
