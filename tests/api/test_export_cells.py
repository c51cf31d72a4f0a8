"""The recommendations export is opened in Excel by the bank: a name from an imported file must not run as
a formula there."""

import csv
import io

from api_helpers import token_client
from kejin.store import chain


def test_formula_like_names_are_exported_as_text(app, seeded):
    rows = [{"uscc": "91440305787789323F", "name": '=HYPERLINK("http://example.invalid","点我")', "region_code": "440305",
             "year": 2024, "points": 90.0, "stage": "growth", "tier": "A", "percentile": 0.9, "input_digest": "d" * 64,
             "groups": None},
            {"uscc": "91440300MA5FXXXX1X", "name": "普通名称有限公司", "region_code": "440305", "year": 2024,
             "points": 80.0, "stage": "growth", "tier": "-1", "percentile": 0.8, "input_digest": "d" * 64, "groups": None}]
    with seeded.session() as s:
        b = chain.append_batch(s, year=2024, method="test", method_version="1", method_sha256="m" * 64,
                               published_by="bureau", rows=rows)
        seq = b.seq
    bank = token_client(app, "bank1")
    r = bank.get("/api/v1/recommendations", params={"format": "csv", "batch": seq})
    assert r.status_code == 200
    out = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))[1:]
    assert out[0][2] == "'" + rows[0]["name"] and out[1][2] == "普通名称有限公司" and out[1][7] == "'-1"
    assert bank.get("/api/v1/recommendations", params={"batch": seq}).json()["data"][0]["name"] == rows[0]["name"]
