"""Train the sequential recommender.

python -m recmesh_model.train --dataset-dir DIR --out DIR [--no-text] [--no-side] [--seed N] ...
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import Dataset, Split, history, leave_one_out, load_dataset
from .model import GATES, SeqRec
from .progress import eta, fmt_seconds, phase, steps
from .ranking import evaluate


def set_seed(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def add_args(p: argparse.ArgumentParser):
    p.add_argument("--no-text", action="store_true", help="do not use pretrained text embeddings")
    p.add_argument("--no-side", action="store_true", help="no side information at all (pure id model)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--heads", type=int, default=2)
    # 0.2 beat 0.3 and SASRec's 0.5 on validation NDCG@10 (Scientific sweep) and converges in fewer epochs
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--attn-dropout", type=float, default=0.2)
    p.add_argument("--side-dropout", type=float, default=None)
    p.add_argument("--id-dropout", type=float, default=0.0,
                   help="probability that an item is represented by its side information alone in a step")
    p.add_argument("--gate", choices=list(GATES), default="count",
                   help="fusion gate of side + g * id: from the training count and side vector, side only, none, "
                        "or shrink (n / (n + SHRINK_K) for an item with n training interactions)")
    p.add_argument("--shrink-k", type=float, default=5.0, help="training count at which --gate shrink gives g = 0.5")
    p.add_argument("--max-len", type=int, default=50)
    p.add_argument("--score", choices=["dot", "cosine"], default="dot",
                   help="user-item score: dot product, or cosine / temperature")
    p.add_argument("--temperature", type=float, default=0.1, help="cosine score temperature")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--patience", type=int, default=5, help="early stopping on validation NDCG@10 (epochs)")
    p.add_argument("--max-minutes", type=float, default=38.0, help="wall-clock training budget")
    p.add_argument("--sampled-softmax-above", type=int, default=200_000,
                   help="catalog size above which sampled softmax replaces the full softmax")
    p.add_argument("--num-negatives", type=int, default=8192)
    p.add_argument("--logit-adjust", type=float, default=0.0,
                   help="train with logits + TAU * log(1 + item train count), serve without it: "
                        "takes the popularity prior out of the learned scores (long-tail logit adjustment)")
    p.add_argument("--horizon", type=int, default=1,
                   help="each position also predicts the next HORIZON items (full softmax only)")
    p.add_argument("--horizon-decay", type=float, default=0.5,
                   help="loss weight of the item h steps ahead = decay^(h-1)")
    # 1.0 beat 0 on validation NDCG@10, cold recall@20 and coverage@10 on Beauty, Sports and Scientific (seed 0,
    # issue 16's sweep); 0 switches it off. Models without side information ignore it.
    p.add_argument("--align", type=float, default=1.0,
                   help="weight of a contrastive loss that pulls each item's id vector to its own side vector "
                        "(batch targets plus as many uniformly drawn items, so rarely seen ones take part)")
    p.add_argument("--align-temperature", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=int(os.environ.get("RECMESH_THREADS", "2")))
    p.add_argument("--valid-users", type=int, default=None, help="cap validation users (speed)")
    p.add_argument("--quiet", action="store_true")


def build_model(ds: Dataset, split: Split, args) -> SeqRec:
    use_side = not args.no_side
    use_text = use_side and not args.no_text and ds.has_text()
    cat_vocab = {c: i + 1 for i, c in enumerate(ds.category_vocab)}
    brand_vocab = {b: i + 1 for i, b in enumerate(ds.brand_vocab)}
    max_attrs = max((len(a) for a in ds.attrs), default=0) if use_side else 0
    model = SeqRec(num_items=ds.num_items, hidden=args.hidden, max_len=args.max_len, blocks=args.blocks,
                   heads=args.heads, dropout=args.dropout, attn_dropout=args.attn_dropout, use_text=use_text,
                   num_categories=len(cat_vocab) if use_side else 0,
                   num_brands=len(brand_vocab) if use_side else 0,
                   num_attrs=ds.num_attrs if use_side else 0, max_attrs=max_attrs,
                   side_dropout=args.side_dropout, score=args.score, temperature=args.temperature,
                   id_dropout=args.id_dropout if not args.no_side else 0.0, gate=args.gate, shrink_k=args.shrink_k)
    kw = {"train_count": split.item_train_count}
    if use_text:
        from .text import item_text_matrix
        tv, ht = item_text_matrix(ds)
        kw.update(text_vec=tv, has_text=ht)
    if use_side:
        kw["cat_id"] = np.array([0] + [cat_vocab.get(c, 0) for c in ds.categories], dtype=np.int64)
        kw["brand_id"] = np.array([0] + [brand_vocab.get(b, 0) for b in ds.brands], dtype=np.int64)
        if max_attrs:
            a = np.zeros((ds.num_items + 1, max_attrs), dtype=np.int64)
            for i, at in enumerate(ds.attrs):
                a[i + 1, : len(at)] = at
            kw["attr_ids"] = a
    model.set_side_info(**kw)
    return model


def training_arrays(ds: Dataset, split: Split, max_len: int, horizon: int = 1):
    """Per user with >= 2 training items: last max_len+1 training items -> (input, actions, targets).
    Y[:, p, h] is the item h+1 steps after input position p (0 past the end of the training part)."""
    rows = [u for u in range(len(ds.seqs)) if split.train_len[u] >= 2]
    X = np.zeros((len(rows), max_len), dtype=np.int64)
    A = np.zeros_like(X)
    Y = np.zeros((len(rows), max_len, horizon), dtype=np.int64)
    for j, u in enumerate(rows):
        n = int(split.train_len[u])
        s = ds.seqs[u][:n][-(max_len + 1):]
        a = ds.acts[u][:n][-(max_len + 1):]
        k = len(s) - 1
        X[j, max_len - k:] = s[:-1]
        A[j, max_len - k:] = a[:-1]
        for h in range(horizon):
            t = s[1 + h:]
            Y[j, max_len - k: max_len - k + len(t), h] = t
    return X, A, Y


def length_bucketed_batches(lengths: np.ndarray, batch_size: int, gen: np.random.Generator, pool: int = 50):
    """Random batches with similar sequence lengths (less padding): shuffle, cut into pools of
    `pool` batches, sort each pool by length, split into batches, shuffle the batch order."""
    perm = gen.permutation(len(lengths))
    out = []
    step = batch_size * pool
    for s in range(0, len(perm), step):
        chunk = perm[s:s + step]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    order = gen.permutation(len(out))
    return [out[i] for i in order]


def alignment_loss(model: SeqRec, targets: torch.Tensor, num_items: int, temperature: float) -> torch.Tensor:
    """InfoNCE between id and side vectors (both directions) over the batch's target items and as many
    uniform draws: each item's id vector is to be nearer its own side vector than other items' (S3-Rec's
    item-attribute association, as a contrastive loss), so the id vectors of items with little history sit
    next to items with the same attributes instead of in a region of their own."""
    rows = torch.unique(torch.cat([targets, torch.randint(1, num_items + 1, (len(targets),))]))
    side = model.side_vector(model.text_vec[rows] if model.use_text else None, model.has_text[rows],
                             model.cat_id[rows], model.brand_id[rows], model.attr_ids[rows])
    logits = F.normalize(model.item_emb(rows), dim=-1) @ F.normalize(side, dim=-1).T / temperature
    labels = torch.arange(len(rows))
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


def model_scorer(model: SeqRec, ds: Dataset, split: Split):
    model.eval()
    table = model.item_vectors()
    out_table = model.item_output(table)
    L = model.max_len

    def score(users: np.ndarray, stage: str) -> torch.Tensor:
        X = np.zeros((len(users), L), dtype=np.int64)
        A = np.zeros_like(X)
        for j, u in enumerate(users):
            s, a = history(ds, split, int(u), stage)
            s, a = s[-L:], a[-L:]
            if len(s):
                X[j, L - len(s):] = s
                A[j, L - len(s):] = a
        uv = model.user_vectors(torch.from_numpy(X), torch.from_numpy(A), table)
        return uv @ out_table.T
    return score


def save_checkpoint(path: Path, model: SeqRec, ds: Dataset, args, extra: dict):
    tmp = path.with_suffix(".tmp")
    torch.save({"config": model.cfg, "state_dict": model.state_dict(), "item_ids": ds.item_ids,
                "category_vocab": ds.category_vocab, "brand_vocab": ds.brand_vocab, "attribute_vocab": ds.attr_vocab,
                "dataset": ds.name, "fingerprint": ds.fingerprint(), "args": vars(args), **extra}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path) -> tuple[SeqRec, dict]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = SeqRec(**ck["config"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck


def train(ds: Dataset, split: Split, args, out: Path, log=print) -> dict:
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(ds, split, args)
    sampled = ds.num_items > args.sampled_softmax_above
    if args.horizon < 1 or (sampled and args.horizon > 1):
        raise ValueError(f"--horizon must be >= 1, and 1 with sampled softmax (got {args.horizon})")
    X, A, Y = training_arrays(ds, split, args.max_len, args.horizon)
    horizon_w = torch.tensor([args.horizon_decay ** h for h in range(args.horizon)])
    prior = args.logit_adjust * model.log_count.view(-1)  # (num_items+1,), zero when not adjusting
    lengths = (X > 0).sum(1)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = np.random.default_rng(args.seed)
    best, best_epoch, bad = -1.0, -1, 0
    t0 = time.time()
    logf = open(out / "train_log.jsonl", "w")
    stopped = "max_epochs"
    curve: list[dict] = []  # per epoch: loss and validation metrics (the report's training curves)
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = length_bucketed_batches(lengths, args.batch_size, gen)
        tot, nb = 0.0, 0
        # A step bar with ETA on a terminal only (progress.py); logs get the one line per epoch below.
        bar = steps(batches, f"epoch {epoch}/{args.epochs}", total=len(batches), disable=args.quiet)
        for idx in bar:
            x, a, y = X[idx], A[idx], Y[idx]
            first = int((x > 0).argmax(1).min()) if (x > 0).any() else args.max_len - 1
            x, a, y = (torch.from_numpy(v[:, first:]) for v in (x, a, y))
            table = model.item_vectors()
            h = model.encode(x, a, table, all_positions=True)
            m = y[..., 0] > 0
            hs, yh = model.user_output(h[m]), y[m]
            ys = yh[:, 0]
            out_table = model.item_output(table)
            if not sampled and args.horizon == 1:
                logits = hs @ out_table[1:].T + prior[1:]
                loss = F.cross_entropy(logits, ys - 1)
            elif not sampled:  # later items share the softmax of the position, with decaying weight
                logp = F.log_softmax(hs @ out_table[1:].T + prior[1:], dim=1)
                w = horizon_w * (yh > 0)
                loss = -(logp.gather(1, (yh - 1).clamp(min=0)) * w).sum() / w.sum()
            else:  # shared uniform negatives; accidental hits removed
                neg = torch.randint(1, ds.num_items + 1, (args.num_negatives,))
                pos_l = (hs * out_table[ys]).sum(-1, keepdim=True) + prior[ys].unsqueeze(1)
                neg_l = hs @ out_table[neg].T + prior[neg]
                neg_l = neg_l.masked_fill(neg.unsqueeze(0) == ys.unsqueeze(1), float("-inf"))
                loss = F.cross_entropy(torch.cat([pos_l, neg_l], 1), torch.zeros(len(ys), dtype=torch.long))
            if args.align > 0 and model.has_side:
                loss = loss + args.align * alignment_loss(model, ys, ds.num_items, args.align_temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item(); nb += 1
            if nb % 20 == 0 and hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{tot / nb:.4f}")
        if hasattr(bar, "close"):
            bar.close()
        vm = evaluate(model_scorer(model, ds, split), ds, split, "valid", full=False, max_users=args.valid_users)
        el = time.time() - t0
        rec = {"epoch": epoch, "loss": tot / max(nb, 1), "valid_ndcg@10": vm["ndcg@10"],
               "valid_recall@10": vm["recall@10"], "elapsed_s": round(el, 1)}
        logf.write(json.dumps(rec) + "\n"); logf.flush()
        curve.append(rec)
        if not args.quiet:
            # At most this long to go: the epochs left at the pace so far, capped by the wall-clock budget
            # (early stopping may end it sooner).
            left = eta(epoch, args.epochs, el, args.max_minutes * 60 - el)
            log(f"[{ds.name} seed={args.seed}] epoch {epoch} loss {rec['loss']:.4f} valid ndcg@10 "
                f"{vm['ndcg@10']:.4f} recall@10 {vm['recall@10']:.4f} ({fmt_seconds(el)}; epoch {epoch} of at most "
                f"{args.epochs}, ETA at most {fmt_seconds(left or 0.0)})")
        save_checkpoint(out / "checkpoint_last.pt", model, ds, args, {"epoch": epoch})
        if vm["ndcg@10"] > best:
            best, best_epoch, bad = vm["ndcg@10"], epoch, 0
            save_checkpoint(out / "checkpoint_best.pt", model, ds, args,
                            {"epoch": epoch, "valid_metrics": vm})
        else:
            bad += 1
            if bad >= args.patience:
                stopped = "early_stopping"
                break
        if el > args.max_minutes * 60:
            stopped = "time_budget"
            break
    logf.close()
    train_seconds = time.time() - t0
    model, _ = load_checkpoint(out / "checkpoint_best.pt")
    info = {"best_epoch": best_epoch, "best_valid_ndcg@10": best, "epochs_run": epoch,
            "stopped": stopped, "train_seconds": train_seconds}
    (out / "train_summary.json").write_text(json.dumps(info, indent=2))
    return {"model": model, **info, "curve": curve}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--test", action="store_true", help="also report test metrics of the best checkpoint")
    add_args(p)
    args = p.parse_args(argv)
    with phase("load dataset"):
        ds = load_dataset(args.dataset_dir)
        split = leave_one_out(ds)
    with phase(f"train ({ds.name}, up to {args.epochs} epochs or {args.max_minutes:g} min)"):
        res = train(ds, split, args, Path(args.out))
    # The per-epoch curve is in OUT/train_log.jsonl; the summary (stdout, parsed by the trainer) stays short.
    summary = {k: v for k, v in res.items() if k not in ("model", "curve")}
    if args.test:
        with phase("test evaluation"):
            summary["test"] = evaluate(model_scorer(res["model"], ds, split), ds, split, "test")
            summary["test"].pop("by_popularity", None)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
