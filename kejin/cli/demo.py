"""`kejin demo`: the main job on built-in demo data, end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from kejin.cli._common import console, print_table, progress


def register(app: typer.Typer) -> None:
    @app.command("demo", help="演示：生成数据、校验、评价全部规则包并输出报告 / demo on built-in synthetic data")
    def demo(
        n: int = typer.Option(3000, "--n", min=30, max=5_000_000, help="合成企业年度数（30–5,000,000）/ synthetic enterprise-years (30 to 5,000,000)"),
        seed: int = typer.Option(7, "--seed", help="随机种子 / seed"),
        out: Path = typer.Option(Path("kejin-demo"), "--out", help="输出目录 / output folder"),
    ) -> None:
        import polars as pl

        from kejin.cli.facts import write_frame
        from kejin.facts import load_facts
        from kejin.facts.synth import synth_facts
        from kejin.standards import engine, results
        from kejin.standards.explain import explain_firm, print_report
        from kejin.standards.registry import resolve

        if out.exists() and not out.is_dir():
            from kejin.errors import InputError, Problem

            raise InputError(Problem("demo.out", "--out 须为文件夹，而这里是一个已有文件", "--out must be a folder, and this is an existing file", file=str(out), field="out"))
        out.mkdir(parents=True, exist_ok=True)
        facts_file = out / "synthetic-facts.csv"
        with progress("生成合成数据 / generating synthetic facts"):
            write_frame(synth_facts(n, seed=seed), facts_file)
        console.print(f"1. 合成数据 / synthetic facts: {facts_file} ({n} 行 rows, 标注为合成 / labelled synthetic)")
        with progress("校验 / validating"):
            facts = load_facts(facts_file)
        console.print(f"2. 校验通过 / validated: {facts.height} 行, {facts['uscc'].n_unique()} 家企业 / firms")
        packs = resolve("all")
        prepared = engine.prepare(facts, packs)
        frames = {}
        with progress("评价 / evaluating", total=len(packs)) as bar:
            for p in packs:
                frames[p.ref] = engine.evaluate_pack(prepared, p)
                bar.advance()
        latest_year = int(facts["year"].max())
        rows = []
        for p in packs:
            f = frames[p.ref].filter(pl.col("year") == latest_year)
            c = dict(f["status"].value_counts().iter_rows())
            rows.append((p.ref, p.name.zh, p.name.en, f.height, c.get("pass", 0), c.get("fail", 0), c.get("not_evaluable", 0)))
        print_table(f"3. {latest_year} 年度评价汇总 / evaluation summary", ["pack", "名称", "name", "rows", "符合 pass", "不符合 fail", "无法评价 n/a"], rows)
        report = out / "evaluation.csv"
        results.wide(packs, frames).write_csv(report)
        console.print(f"4. 报告 / report: {report}")
        # one firm, explained: a tech-SME candidate close to passing
        ts = frames[next(p.ref for p in packs if p.id == "tech-sme")].filter(pl.col("year") == latest_year)
        near = ts.filter(pl.col("decided_by") == "routes:none").sort("total_lo", descending=True)
        pick = (near if near.height else ts).row(0, named=True)["uscc"]
        console.print(f"5. 单个企业说明 / one firm explained: {pick}")
        for rec in explain_firm(facts.filter(pl.col("uscc") == pick), [p for p in packs if p.id == "tech-sme"], latest_year):
            print_report(rec, console)
        # innovation points and one technology-side credit record (kejin.points)
        from kejin.cli.points import print_record
        from kejin.points import record as points_record
        from kejin.points import score as points_score

        with progress("创新积分 / innovation points"):
            pts = points_score(facts, "national-core")
        pts.write_csv(out / "points.csv")
        top = pts.filter(pl.col("year") == latest_year).sort("points", descending=True).head(10)
        print_table(f"6. {latest_year} 年创新积分前十 / top-10 innovation points (national-core, 参考方法 reference)", ["uscc", "stage", "points", "percentile", "tier", "raised"], top.select("uscc", "stage", "points", "percentile", "tier", "raised").rows())
        console.print(f"   积分结果 / points: {out / 'points.csv'} · 核对 verify: kejin points verify {out / 'points.csv'} --input {facts_file}")
        console.print("7. 技术侧信用记录 / technology-side credit record:")
        print_record(points_record(facts, top["uscc"][0]))
