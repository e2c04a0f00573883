"""Pick trainer options on validation only (issue 16's rule, the one the committed reports state).

python -m recmesh_model.sweep --dataset-dir DIR --out FILE.jsonl --config NAME="--logit-adjust 0.5" ...
       [--seed 0] [trainer options shared by every config]

Each config trains with the shared options plus its own, then ranks the validation targets over the full
catalog (history masked, as the test ranking does): NDCG@10, tail and cold recall@20, coverage@10. One JSON
line per config is appended to FILE as it finishes, so two lanes can fill one file. `--pick FILE` prints
the choice: the highest validation NDCG@10, and among configs within 1% of it the highest validation tail
recall@20.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from .data import leave_one_out, load_dataset
from .ranking import evaluate


def pick(rows: list[dict]) -> dict:
    best = max(r["valid"]["ndcg@10"] for r in rows)
    near = [r for r in rows if r["valid"]["ndcg@10"] >= 0.99 * best]
    return max(near, key=lambda r: r["valid"]["tail_recall@20"])


def main(argv=None):
    from . import train as T
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset-dir")
    p.add_argument("--out", help="JSON lines, appended")
    p.add_argument("--config", action="append", default=[], help='NAME="trainer options" (repeatable)')
    p.add_argument("--runs", default="/tmp/recmesh-sweep")
    p.add_argument("--checkpoint", action="append", default=[],
                   help="NAME=PATH: a run already trained with NAME's options, only evaluated (repeatable)")
    p.add_argument("--pick", help="print the choice from this JSON lines file and exit")
    T.add_args(p)
    args, _ = p.parse_known_args(argv)
    if args.pick:
        rows = [json.loads(x) for x in Path(args.pick).read_text().splitlines() if x.strip()]
        for r in sorted(rows, key=lambda r: -r["valid"]["ndcg@10"]):
            v = r["valid"]
            print(f"{r['dataset']:28s} {r['config']:24s} ndcg@10 {v['ndcg@10']:.4f} tail@20 {v['tail_recall@20']:.4f} "
                  f"cold@20 {v['cold_recall@20']:.4f} cov@10 {v['coverage@10']:.3f} epochs {r['best_epoch']}/"
                  f"{r['epochs_run']} {r['train_seconds']:.0f}s")
        print("pick:", pick(rows)["config"])
        return
    if not (args.dataset_dir and args.out and (args.config or args.checkpoint)):
        p.error("--dataset-dir, --out and at least one --config or --checkpoint are required (or --pick FILE)")
    ds = load_dataset(args.dataset_dir)
    split = leave_one_out(ds)
    shared = list(argv if argv is not None else sys.argv[1:])
    for spec in args.checkpoint:
        name, _, path = spec.partition("=")
        model, ck = T.load_checkpoint(path)
        run = json.loads((Path(path).parent / "train_summary.json").read_text())
        _append(args.out, ds, split, name, ck["args"], model, run, path, 0.0)
    for spec in args.config:
        name, _, opts = spec.partition("=")
        targs = p.parse_args(shared + shlex.split(opts))  # the config's own options come last and win
        out = Path(args.runs) / ds.name / name / f"seed{targs.seed}"
        t0 = time.time()
        res = T.train(ds, split, targs, out)
        _append(args.out, ds, split, name, vars(targs) | {"options": opts}, res["model"], res,
                out / "checkpoint_best.pt", t0)


def _append(path, ds, split, name: str, targs: dict, model, run: dict, checkpoint, t0: float):
    """Ranks the validation targets with the model and appends its row to the JSON lines file."""
    from . import train as T
    v = evaluate(T.model_scorer(model, ds, split), ds, split, "valid")
    v.pop("by_popularity", None)
    row = {"dataset": ds.name, "config": name, "options": targs.get("options", ""), "seed": targs["seed"],
           "best_epoch": run["best_epoch"], "epochs_run": run["epochs_run"], "stopped": run["stopped"],
           "train_seconds": run["train_seconds"], "seconds": time.time() - t0 if t0 else None, "valid": v,
           "checkpoint": str(checkpoint)}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps({k: row[k] for k in ("dataset", "config", "best_epoch", "train_seconds")}
                     | {m: round(v[m], 4) for m in ("ndcg@10", "tail_recall@20", "cold_recall@20", "coverage@10")}),
          flush=True)


if __name__ == "__main__":
    main()
