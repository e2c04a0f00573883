"""Where a trained model's recommendations go, by item popularity (issue 16's diagnosis).

python -m recmesh_model.diagnose --dataset-dir DIR --checkpoint LABEL=PATH [--checkpoint ...] [--out FILE]

For each checkpoint, over a sample of test users (the evaluation's test inputs, history masked):
- score mass (mean softmax probability) and top-10 slots per item-popularity decile, next to the
  deciles' share of training interactions and of test targets: a model that narrows to the head puts
  more of its top 10 in the last deciles than the targets are there;
- for side-information models, the fusion gate g and the norms of side, g * id and fused vectors per
  popularity bucket: whether the gate shuts side information off for warm items, or id vectors off for
  tail ones;
- how alike item vectors are (mean cosine of random pairs): attribute embeddings shared by most items
  make all side vectors point the same way;
- cold items' nearest neighbours in the scored space: their median popularity and how many attributes
  they share, against warm items' neighbours.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import history, leave_one_out, load_dataset
from .metrics import POPULARITY_BUCKETS, mask_rows
from .train import load_checkpoint, model_scorer


def popularity_deciles(counts: np.ndarray) -> np.ndarray:
    """Decile 0..9 per row (row 0 = -1): items sorted by training count (ties by row), ten equal groups,
    decile 9 the most popular."""
    c = counts[1:]
    order = np.argsort(c, kind="stable")
    dec = np.empty(len(c), dtype=np.int64)
    dec[order] = np.arange(len(c)) * 10 // len(c)
    return np.concatenate([[-1], dec])


def bucket_of(counts: np.ndarray) -> np.ndarray:
    out = np.full(len(counts), -1, dtype=np.int64)
    for b, (lo, hi) in enumerate(POPULARITY_BUCKETS):
        out[(counts >= lo) & (counts <= (hi if hi is not None else np.iinfo(np.int64).max))] = b
    out[0] = -1
    return out


def bucket_label(b: int) -> str:
    lo, hi = POPULARITY_BUCKETS[b]
    return f"{lo}-{hi}" if hi is not None else f">={lo}"


def mean_by(values: np.ndarray, groups: np.ndarray, n: int) -> list[float | None]:
    return [float(values[groups == g].mean()) if (groups == g).any() else None for g in range(n)]


def item_parts(model):
    """Per row: fused scored vectors, and for side models side, gate and id parts (eval mode)."""
    rows = torch.arange(model.num_items + 1)
    fused = model.item_vectors(rows)
    parts = {"fused": fused, "scored": model.item_output(fused), "id": model.item_emb(rows)}
    if model.has_side:
        side = model.side_vector(model.text_vec if model.use_text else None, model.has_text, model.cat_id,
                                 model.brand_id, model.attr_ids)
        parts["side"] = side
        parts["gate"] = model.gate_value(side, model.log_count).view(-1)
    return parts


def pair_cosine(v: torch.Tensor, rows: np.ndarray, gen: np.random.Generator, pairs: int = 20000) -> float:
    a = torch.from_numpy(gen.choice(rows, pairs))
    b = torch.from_numpy(gen.choice(rows, pairs))
    keep = a != b
    return float(F.cosine_similarity(v[a[keep]], v[b[keep]], dim=-1).mean())


def neighbours(scored: torch.Tensor, rows: np.ndarray, counts: np.ndarray, attr_sets: list[set], k: int = 10):
    """For the given rows: median training count of their k nearest items (cosine in the scored space)
    and the mean share of attributes they have in common (Jaccard)."""
    if len(rows) == 0:
        return {"items": 0}
    v = F.normalize(scored, dim=-1)
    sim = v[torch.from_numpy(rows)] @ v.T
    sim[:, 0] = -2
    sim[torch.arange(len(rows)), torch.from_numpy(rows)] = -2
    nn_rows = torch.topk(sim, k, dim=1).indices.numpy()
    jac = []
    for r, nb in zip(rows, nn_rows):
        a = attr_sets[r]
        for n in nb:
            b = attr_sets[n]
            jac.append(len(a & b) / len(a | b) if (a or b) else 0.0)
    return {"items": int(len(rows)), "neighbour_median_train_count": float(np.median(counts[nn_rows])),
            "neighbour_attribute_jaccard": float(np.mean(jac))}


def diagnose(label: str, path: Path, ds, split, users: np.ndarray, seed: int = 0) -> dict:
    model, _ = load_checkpoint(path)
    counts = split.item_train_count
    dec = popularity_deciles(counts)
    buckets = bucket_of(counts)
    nb = len(POPULARITY_BUCKETS)
    gen = np.random.default_rng(seed)
    with torch.no_grad():
        parts = item_parts(model)
        scored = parts["scored"]
        score = model_scorer(model, ds, split)
        mass = np.zeros(10)
        slots = np.zeros(10)
        for s in range(0, len(users), 1024):
            ub = users[s:s + 1024]
            sc = score(ub, "test")
            mask_rows(sc, [history(ds, split, int(u), "test")[0] for u in ub])
            p = torch.softmax(sc, dim=1).numpy()
            for d in range(10):
                mass[d] += p[:, dec == d].sum()
            top = torch.topk(sc, 10, dim=1).indices.numpy()
            slots += np.bincount(dec[top].ravel(), minlength=10)
        mass /= len(users)
        slots /= slots.sum()
        items = np.arange(1, model.num_items + 1)
        attr_sets = [set()] + [set(a) for a in ds.attrs] + [set()] * (model.num_items + 1 - 1 - len(ds.attrs))
        cold = items[counts[1:] <= 5]
        warm = items[counts[1:] > 50]
        out = {
            "label": label, "checkpoint": str(path), "users": int(len(users)),
            "by_decile": {
                "train_interaction_share": [float(counts[dec == d].sum() / counts.sum()) for d in range(10)],
                "score_mass": mass.round(4).tolist(),
                "top10_slot_share": slots.round(4).tolist(),
                "max_train_count": [int(counts[dec == d].max()) for d in range(10)],
            },
            "by_bucket": {"bucket": [bucket_label(b) for b in range(nb)],
                          "items": [int((buckets == b).sum()) for b in range(nb)],
                          "scored_norm": mean_by(parts["scored"].norm(dim=-1).numpy(), buckets, nb),
                          "id_norm": mean_by(parts["id"].norm(dim=-1).numpy(), buckets, nb)},
            "pair_cosine": {"scored": pair_cosine(scored, items, gen), "id": pair_cosine(parts["id"], items, gen)},
            "neighbours": {"cold(<=5)": neighbours(scored, gen.choice(cold, min(len(cold), 2000), replace=False),
                                                   counts, attr_sets),
                           "warm(>50)": neighbours(scored, gen.choice(warm, min(len(warm), 2000), replace=False),
                                                   counts, attr_sets)},
        }
        if "side" in parts:
            g = parts["gate"].numpy()
            out["by_bucket"].update({
                "gate": mean_by(g, buckets, nb),
                "side_norm": mean_by(parts["side"].norm(dim=-1).numpy(), buckets, nb),
                "gated_id_norm": mean_by((parts["gate"].unsqueeze(1) * parts["id"]).norm(dim=-1).numpy(), buckets, nb),
            })
            out["pair_cosine"]["side"] = pair_cosine(parts["side"], items, gen)
    return out


def attribute_spread(ds) -> dict:
    """How informative the anonymous attributes are: the share of items each attribute is on."""
    n = len(ds.attrs)
    cnt = np.bincount([a for at in ds.attrs for a in set(at)], minlength=ds.num_attrs + 1)[1:]
    share = np.sort(cnt / max(n, 1))[::-1]
    per_item = np.array([len(a) for a in ds.attrs]) if n else np.zeros(1)
    return {"attributes": int(ds.num_attrs), "mean_per_item": float(per_item.mean()),
            "top5_item_share": share[:5].round(3).tolist(),
            "on_over_half_the_items": int((share > 0.5).sum())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset-dir", required=True)
    p.add_argument("--checkpoint", action="append", required=True, help="LABEL=PATH (repeatable)")
    p.add_argument("--users", type=int, default=5000, help="test users sampled")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the JSON here (default: stdout only)")
    args = p.parse_args(argv)
    ds = load_dataset(args.dataset_dir)
    split = leave_one_out(ds)
    gen = np.random.default_rng(args.seed)
    users = np.sort(gen.choice(split.eval_users, min(args.users, len(split.eval_users)), replace=False))
    dec = popularity_deciles(split.item_train_count)
    targets = split.test_target[np.isin(split.eval_users, users)]
    report = {"dataset": ds.name, "attributes": attribute_spread(ds),
              "test_target_share_by_decile": (np.bincount(dec[targets], minlength=10) / len(targets)).round(4).tolist(),
              "models": []}
    for spec in args.checkpoint:
        label, _, path = spec.partition("=")
        if not path:
            raise SystemExit(f"--checkpoint wants LABEL=PATH, got {spec!r}")
        report["models"].append(diagnose(label, Path(path), ds, split, users, args.seed))
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
