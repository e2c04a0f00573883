"""Print (or write into tools/model/README.md) the cross-dataset results table from reports/model/*/*.json.

python -m recmesh_model.summary [--write-readme]
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .evaluate import MODELS, REPO_ROOT

START, END = "<!-- results:start -->", "<!-- results:end -->"


def table(reports: Path) -> str:
    L = ["| dataset | model | seeds | NDCG@10 | Recall@10 | Tail recall@20 | Cold recall@20 | train s / seed | stopped |",
         "|---|---|---|---|---|---|---|---|---|"]
    for d in sorted(p for p in reports.iterdir() if p.is_dir()):
        for m in MODELS:
            f = d / f"{m}.json"
            if not f.exists():
                continue
            r = json.loads(f.read_text())
            mt, sd = r["metrics"], r.get("metrics_std", {})
            n = len(r["seeds"])

            def fmt(k):
                return f"{mt[k]:.4f}" + (f" ± {sd[k]:.4f}" if n > 1 and k in sd else "")
            stopped = ", ".join(sorted({x["stopped"] + f"@ep{x['best_epoch']}/{x['epochs_run']}" for x in r.get("runs", [])})) or "-"
            L.append(f"| {d.name} | {m} | {n or '-'} | {fmt('ndcg@10')} | {fmt('recall@10')} | {fmt('tail_recall@20')} | "
                     f"{fmt('cold_recall@20')} | {r['train_seconds']:.0f} | {stopped} |")
    return "\n".join(L)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--reports", default=str(REPO_ROOT / "reports" / "model"))
    p.add_argument("--write-readme", action="store_true")
    a = p.parse_args(argv)
    t = table(Path(a.reports))
    print(t)
    if a.write_readme:
        rd = Path(__file__).resolve().parents[1] / "README.md"
        s = rd.read_text()
        s = re.sub(re.escape(START) + ".*?" + re.escape(END), START + "\n" + t + "\n" + END, s, flags=re.S)
        rd.write_text(s)


if __name__ == "__main__":
    main()
