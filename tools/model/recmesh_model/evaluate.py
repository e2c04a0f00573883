"""Evaluate all models on one dataset per /work/shared/EVAL-PROTOCOL.md (version 1).

python -m recmesh_model.evaluate --dataset NAME|PATH [--models a,b] [--seeds 0,1,2] [--reports DIR]

NAME is a folder of $RECMESH_DATASETS (default: <repo>/../shared/datasets); PATH is any dataset folder
(holding events.csv[.gz], or a normalized/ subfolder that does), named after the folder (its parent's
name for a normalized/ folder). Writes <reports>/<dataset>/<model>.json and <reports>/<dataset>/README.md,
<reports> defaulting to <repo>/reports/model.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import time
from pathlib import Path

import numpy as np

from .data import leave_one_out, load_dataset, default_datasets_root
from .progress import phase
from .ranking import evaluate

REPO_ROOT = Path(__file__).resolve().parents[3]
MODELS = ["most_popular", "item_knn", "transformer_side", "transformer_id"]
TRAINED = {"transformer_id": ["--no-side"], "transformer_side": []}
DESCRIPTION = {
    "most_popular": "MostPopular (training interaction counts)",
    "item_knn": "ItemKNN (co-occurrence cosine over user histories)",
    "transformer_id": "Transformer, item ids + actions only (ablation: no text / side info)",
    "transformer_side": "Transformer + side info (text embedding, category, brand, attributes; gated fusion)",
}
METRIC_ORDER = ["ndcg@10", "recall@10", "mrr@10", "ndcg@20", "recall@20", "mrr@20", "coverage@10",
                "coverage@20", "tail_recall@10", "tail_recall@20", "cold_recall@10", "cold_recall@20"]


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip(); break
    except OSError:
        pass
    import torch
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores visible, "
            f"torch threads {torch.get_num_threads()}, no GPU")


def mean_std(per_seed: list[dict]) -> tuple[dict, dict]:
    keys = [k for k in per_seed[0] if isinstance(per_seed[0][k], float)]
    mean = {k: float(np.mean([m[k] for m in per_seed])) for k in keys}
    std = {k: float(np.std([m[k] for m in per_seed], ddof=1)) if len(per_seed) > 1 else 0.0 for k in keys}
    return mean, std


def mean_buckets(per_seed: list[list[dict]]) -> list[dict]:
    """Per popularity bucket: the seeds' mean NDCG@10 / recall@10, with their std when there are several."""
    out = []
    for i, b in enumerate(per_seed[0]):
        row = {k: b[k] for k in ("bucket", "min", "max", "users")}
        for k in ("ndcg@10", "recall@10"):
            xs = [s[i][k] for s in per_seed]
            row[k] = float(np.mean(xs))
            if len(xs) > 1:
                row[f"{k}_std"] = float(np.std(xs, ddof=1))
        out.append(row)
    return out


def merge_seeds(path: Path, params: dict, per_seed: list, runs: list, seeds: list, esec: list):
    """Union of an existing report's seeds with this run's (this run wins on a repeated seed)."""
    if not path.exists():
        return per_seed, runs, seeds, esec
    old = json.loads(path.read_text())
    if old.get("params") != params:
        raise SystemExit(f"--add-seeds: {path} was made with other params:\n  {old.get('params')}\n  vs {params}")
    keep = [i for i, sd in enumerate(old["seeds"]) if sd not in seeds]
    per_seed = [old["per_seed"][i] for i in keep] + per_seed
    runs = [old["runs"][i] for i in keep] + runs
    esec = [old["eval_seconds"]] * len(keep) + esec
    order = np.argsort([r["seed"] for r in runs], kind="stable")
    pick = lambda xs: [xs[i] for i in order]  # noqa: E731
    return pick(per_seed), pick(runs), sorted(r["seed"] for r in runs), pick(esec)


def published_tables(dataset_readme: Path) -> list[tuple[str, list[str], list[list[str]]]]:
    """Markdown tables under '###' headings of the dataset README (title, header, rows)."""
    if not dataset_readme.exists():
        return []
    out, title, lines = [], None, dataset_readme.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("### "):
            title = ln[4:].strip()
        if ln.startswith("|") and title and i + 1 < len(lines) and re.match(r"^\|[-| ]+\|$", lines[i + 1]):
            header = [c.strip() for c in ln.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip("|").split("|")]); i += 1
            out.append((title, header, rows))
            title = None
            continue
        i += 1
    return out


def machines_line(reps: list) -> str:
    """The machine every model ran on; per model when runs were made apart (train seconds compare only within one machine)."""
    machines = {}
    for r in reps:
        machines.setdefault(r["machine"], []).append(f"`{r['model']}`")
    if len(machines) == 1:
        return f"Machine: {next(iter(machines))}."
    return "Machines: " + "; ".join(f"{', '.join(models)} on {m}" for m, models in machines.items()) + "."


def write_readme(report_dir: Path, dataset: str, dataset_dir: Path):
    reps = []
    for m in MODELS:
        p = report_dir / f"{m}.json"
        if p.exists():
            reps.append(json.loads(p.read_text()))
    if not reps:
        return
    L = [f"# Offline evaluation: {dataset}", "",
         "Generated by `tools/model/eval.sh " + dataset + "` (`python -m recmesh_model.evaluate`); numbers come from "
         "real runs, EVAL-PROTOCOL.md version 1: leave-one-out, **full ranking** over the whole catalog, the user's "
         "history masked, ties count against the model. Trained models: mean ± std over the seeds listed.", ""]
    r0 = reps[0]
    L.append(f"Test users: {r0['users_evaluated']}; tail-target users: {r0['metrics'].get('tail_users')}; "
             f"cold-target users (<= 5 training interactions): {r0['metrics'].get('cold_users')}; "
             f"catalog: {r0['num_items']} items. " + machines_line(reps))
    L.append("")
    cols = ["ndcg@10", "recall@10", "mrr@10", "ndcg@20", "recall@20", "coverage@20", "tail_recall@20",
            "cold_recall@20"]
    L.append("| model | seeds | " + " | ".join(cols) + " | train s (per seed) | eval s |")
    L.append("|---|---|" + "---|" * len(cols) + "---|---|")
    for r in reps:
        cells = []
        for c in cols:
            v = r["metrics"].get(c)
            s = r.get("metrics_std", {}).get(c)
            cells.append("" if v is None else (f"{v:.4f} ± {s:.4f}" if s is not None and len(r["seeds"]) > 1 else f"{v:.4f}"))
        ts = r.get("train_seconds")
        L.append(f"| {r['model']} | {len(r['seeds']) or '-'} | " + " | ".join(cells) +
                 (f" | {ts:.0f} | {r['eval_seconds']:.0f} |" if ts is not None else f" | - | {r['eval_seconds']:.0f} |"))
    L.append("")
    for r in reps:
        L.append(f"* `{r['model']}`: {DESCRIPTION.get(r['model'], '')}" +
                 (f". Notes: {r['protocol_notes']}" if r.get("protocol_notes") else ""))
    L.append("")
    from .plots import render
    plots = render(report_dir)
    if plots:
        L += plots + [""]
    tables = published_tables(dataset_dir.parent / "README.md" if dataset_dir.name == "normalized" else dataset_dir / "README.md")
    L.append("## Published numbers (from the dataset README)")
    L.append("")
    if not tables:
        L.append("None transcribed in the dataset README.")
    for title, header, rows in tables:
        kind = "full ranking" if "full" in title.lower() else ("sampled (99 negatives) — NOT comparable with the table above" if "sampled" in title.lower() else title)
        L.append(f"### {title} — {kind}")
        L.append("")
        L.append("| " + " | ".join(header) + " |")
        L.append("|" + "---|" * len(header))
        for row in rows:
            L.append("| " + " | ".join(row) + " |")
        L.append("")
    L.append("HR@K in the published tables equals recall@K here (one target per user).")
    (report_dir / "README.md").write_text("\n".join(L) + "\n")


def resolve_dataset(arg: str, root: Path) -> tuple[Path, str]:
    """--dataset: a name under the datasets root, else a path to a dataset folder -> (folder, report name)."""
    if not Path(arg).is_absolute() and (root / arg).is_dir():
        return root / arg, arg
    p = Path(arg).expanduser().resolve()
    if not p.is_dir():
        raise SystemExit(f"--dataset {arg}: neither a folder of {root} nor a path to a dataset folder")
    return p, (p.parent.name if p.name == "normalized" else p.name)


def main(argv=None):
    from . import train as T
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, help="a folder name under $RECMESH_DATASETS, or a path to a dataset folder")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--reports", default=str(REPO_ROOT / "reports" / "model"), help="reports go to REPORTS/<dataset>/")
    p.add_argument("--runs", default=str(REPO_ROOT / "tools" / "model" / "runs"))
    p.add_argument("--notes", default="", help="extra protocol_notes (e.g. why fewer seeds)")
    p.add_argument("--add-seeds", action="store_true",
                   help="merge these seeds into the model's existing report (same params required), "
                        "so seeds can run in separate processes")
    T.add_args(p)
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    ddir, dataset = resolve_dataset(args.dataset, default_datasets_root())
    with phase(f"[{dataset}] load dataset and split"):
        ds = load_dataset(ddir, name=dataset)
        split = leave_one_out(ds)
    report_dir = Path(args.reports) / dataset
    report_dir.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",") if s != ""]
    base = {"protocol": 1, "dataset": dataset, "num_items": ds.num_items, "num_users": len(ds.seqs),
            "users_evaluated": int(len(split.eval_users)), "mask_history": True,
            "training_data_fingerprint": ds.fingerprint(), "machine": machine(),
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    for name in args.models.split(","):
        with phase(f"[{dataset}] {name}"):
            rep = run_model(name, p, argv, args, ds, split, dataset, ddir, base, seeds, report_dir)
        m = rep["metrics"]
        print(f"[{dataset}] {name}: ndcg@10 {m['ndcg@10']:.4f} recall@10 {m['recall@10']:.4f} "
              f"tail_recall@20 {m['tail_recall@20']:.4f} cold_recall@20 {m['cold_recall@20']:.4f}", flush=True)


def run_model(name, p, argv, args, ds, split, dataset, ddir, base, seeds, report_dir) -> dict:
    """Trains (or fits) and evaluates one model, writes its report and the dataset README; returns the report."""
    from . import train as T
    t0 = time.time()
    notes = []
    if name == "most_popular":
        from .baselines import most_popular
        m = evaluate(most_popular(ds, split), ds, split, "test")
        buckets = m.pop("by_popularity", None)
        rep = {**base, "model": name, "params": {}, "seeds": [], "metrics": m, "by_popularity": buckets,
               "train_seconds": 0.0, "eval_seconds": time.time() - t0}
    elif name == "item_knn":
        from .baselines import item_knn
        sc = item_knn(ds, split)
        t1 = time.time()
        m = evaluate(sc, ds, split, "test", batch_size=512)
        buckets = m.pop("by_popularity", None)
        rep = {**base, "model": name, "params": {"similarity": "cosine co-occurrence", "history": "all"},
               "seeds": [], "metrics": m, "by_popularity": buckets, "train_seconds": t1 - t0,
               "eval_seconds": time.time() - t1}
    elif name in TRAINED:
        per_seed, esec, runs = [], [], []
        for seed in seeds:
            targs = p.parse_args(argv)  # fresh copy of defaults + CLI options
            targs.seed = seed
            targs.no_side = "--no-side" in TRAINED[name]
            targs.no_text = targs.no_text or targs.no_side
            out = Path(args.runs) / dataset / name / f"seed{seed}"
            with phase(f"[{dataset}] {name} seed {seed}: train"):
                res = T.train(ds, split, targs, out)
            t1 = time.time()
            with phase(f"[{dataset}] {name} seed {seed}: test ranking"):
                mm = evaluate(T.model_scorer(res["model"], ds, split), ds, split, "test")
            esec.append(time.time() - t1)
            buckets = mm.pop("by_popularity", None)
            per_seed.append(mm)
            # Each run keeps its per-epoch curve and popularity buckets (the report's plots read them).
            runs.append({k: v for k, v in res.items() if k != "model"} | {"seed": seed, "checkpoint": str(out / "checkpoint_best.pt")}
                        | ({"by_popularity": buckets} if buckets else {}))
            print(f"[{dataset}] {name} seed {seed}: test ndcg@10 {mm['ndcg@10']:.4f} "
                  f"recall@10 {mm['recall@10']:.4f} tail_recall@20 {mm['tail_recall@20']:.4f} "
                  f"({res['train_seconds']:.0f}s train)", flush=True)
        params = {k: getattr(targs, k) for k in ("hidden", "blocks", "heads", "dropout", "attn_dropout",
                                                "max_len", "lr", "batch_size", "epochs", "patience",
                                                "max_minutes", "no_text", "no_side", "id_dropout",
                                                "score", "temperature", "weight_decay", "valid_users",
                                                "logit_adjust", "horizon", "horizon_decay", "gate", "shrink_k", "align",
                                                "align_temperature")}
        params["loss"] = ("full softmax CE" if ds.num_items <= targs.sampled_softmax_above
                          else f"sampled softmax ({targs.num_negatives} uniform negatives)")
        params["uses_text"] = bool(res["model"].use_text)
        if args.add_seeds:
            per_seed, runs, seeds, esec = merge_seeds(report_dir / f"{name}.json", params, per_seed, runs,
                                                      seeds, esec)
        tsec = [r["train_seconds"] for r in runs]
        mean, std = mean_std(per_seed)
        for k in ("tail_users", "cold_users", "users"):
            mean[k] = per_seed[0][k]
        notes.append("trained on the training part only, early stopping on validation NDCG@10 (full ranking); "
                     "at test time the validation item is part of the input history")
        if any(r["stopped"] == "time_budget" for r in runs):
            notes.append("some seeds stopped at the wall-clock training budget (max_minutes) before early stopping")
        if len(seeds) < 3:
            notes.append(f"{len(seeds)} seed(s) instead of 3 (time budget of the run); std not meaningful")
        rep = {**base, "model": name, "params": params, "seeds": seeds, "metrics": mean, "metrics_std": std,
               "per_seed": per_seed, "runs": runs, "train_seconds": float(np.mean(tsec)),
               "train_seconds_total": float(np.sum(tsec)), "eval_seconds": float(np.mean(esec))}
        if all(r.get("by_popularity") for r in runs):
            rep["by_popularity"] = mean_buckets([r["by_popularity"] for r in runs])
    else:
        raise SystemExit(f"unknown model {name}; known: {MODELS}")
    if args.notes:
        notes.append(args.notes)
    if ds.num_items and not ds.has_text() and name == "transformer_side":
        notes.append("dataset has no item text: side info = anonymous attribute ids only")
    rep["protocol_notes"] = "; ".join(notes)
    if rep.get("by_popularity") is None:
        rep.pop("by_popularity", None)
    (report_dir / f"{name}.json").write_text(json.dumps(rep, indent=2))
    write_readme(report_dir, dataset, ddir)
    return rep


if __name__ == "__main__":
    main()
