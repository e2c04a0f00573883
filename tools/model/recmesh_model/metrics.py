"""Full-ranking metrics of EVAL-PROTOCOL.md section 'Sequential next-item task'."""
from __future__ import annotations

import numpy as np
import torch

KS = (10, 20)
# Item-popularity buckets of the target: its number of training interactions, inclusive bounds
# (the first is the cold bucket of cold_recall). The report's NDCG@10 by popularity plot reads them.
POPULARITY_BUCKETS = ((0, 5), (6, 20), (21, 50), (51, 200), (201, None))


def mask_rows(scores: torch.Tensor, hist_rows: list[np.ndarray]) -> None:
    """In place: scores[b, r] = -inf for every row r in hist_rows[b]; column 0 (padding) always masked."""
    scores[:, 0] = float("-inf")
    lens = [len(h) for h in hist_rows]
    if sum(lens):
        r = torch.from_numpy(np.repeat(np.arange(len(hist_rows)), lens))
        c = torch.from_numpy(np.concatenate(hist_rows).astype(np.int64))
        scores[r, c] = float("-inf")


def rank_of_target(scores: torch.Tensor, targets: torch.Tensor, hist_rows: list[np.ndarray] | None,
                   topk: int = 0):
    """scores: (B, N+1) over rows incl. padding column 0. The user's history rows are masked, except the
    target itself (never masked). Rank = 1 + #(other unmasked items with score >= target score):
    ties count against the model. Returns (ranks int64 (B,), topk rows (B, topk) or None)."""
    scores = scores.clone()
    tgt_score = scores.gather(1, targets.view(-1, 1)).clone()
    if hist_rows is not None:
        mask_rows(scores, hist_rows)
    else:
        scores[:, 0] = float("-inf")
    scores.scatter_(1, targets.view(-1, 1), tgt_score)
    ge = (scores >= tgt_score).sum(dim=1)  # includes the target itself
    ranks = ge.to(torch.int64)  # = 1 + #others >= target
    top = None
    if topk:
        top = torch.topk(scores, topk, dim=1).indices
    return ranks, top


class MetricAccumulator:
    def __init__(self, num_items: int, tail_mask: np.ndarray | None = None,
                 train_count: np.ndarray | None = None, cold_max: int = 5, ks=KS):
        self.ks = ks
        self.num_items = num_items
        self.tail_mask = tail_mask
        self.train_count = train_count
        self.cold_max = cold_max
        self.ranks: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self.topk_items = {k: set() for k in ks}

    def add(self, ranks: torch.Tensor, targets: torch.Tensor, top: torch.Tensor | None = None):
        self.ranks.append(ranks.cpu().numpy())
        self.targets.append(targets.cpu().numpy())
        if top is not None:
            for k in self.ks:
                self.topk_items[k].update(np.unique(top[:, :k].cpu().numpy()).tolist())

    def result(self) -> dict:
        ranks = np.concatenate(self.ranks) if self.ranks else np.zeros(0, dtype=np.int64)
        tg = np.concatenate(self.targets) if self.targets else np.zeros(0, dtype=np.int64)
        return compute_metrics(ranks, tg, self.num_items, self.tail_mask, self.train_count,
                               self.cold_max, self.ks,
                               self.topk_items if any(self.topk_items.values()) else None)


def compute_metrics(ranks: np.ndarray, targets: np.ndarray, num_items: int, tail_mask=None,
                    train_count=None, cold_max: int = 5, ks=KS, topk_items=None) -> dict:
    out: dict = {}
    ranks = ranks.astype(np.float64)
    n = len(ranks)
    for k in ks:
        hit = ranks <= k
        out[f"recall@{k}"] = float(hit.mean()) if n else 0.0
        out[f"ndcg@{k}"] = float(np.where(hit, 1.0 / np.log2(ranks + 1), 0.0).mean()) if n else 0.0
        out[f"mrr@{k}"] = float(np.where(hit, 1.0 / ranks, 0.0).mean()) if n else 0.0
        if topk_items is not None:
            out[f"coverage@{k}"] = len(topk_items[k]) / num_items
        if tail_mask is not None:
            sel = tail_mask[targets]
            out[f"tail_recall@{k}"] = float(hit[sel].mean()) if sel.any() else 0.0
        if train_count is not None:
            sel = train_count[targets] <= cold_max
            out[f"cold_recall@{k}"] = float(hit[sel].mean()) if sel.any() else 0.0
    if tail_mask is not None:
        out["tail_users"] = int(tail_mask[targets].sum())
    if train_count is not None:
        out["cold_users"] = int((train_count[targets] <= cold_max).sum())
    out["users"] = n
    if train_count is not None:
        out["by_popularity"] = by_popularity(ranks, train_count[targets])
    return out


def by_popularity(ranks: np.ndarray, target_count: np.ndarray, k: int = 10) -> list[dict]:
    """NDCG@k and recall@k of the users whose target has that many training interactions, per bucket."""
    ranks = ranks.astype(np.float64)
    hit = ranks <= k
    gain = np.where(hit, 1.0 / np.log2(ranks + 1), 0.0)
    out = []
    for lo, hi in POPULARITY_BUCKETS:
        sel = (target_count >= lo) & ((target_count <= hi) if hi is not None else True)
        n = int(sel.sum())
        out.append({"bucket": f"{lo}-{hi}" if hi is not None else f">{lo - 1}", "min": lo, "max": hi, "users": n,
                    f"ndcg@{k}": float(gain[sel].mean()) if n else 0.0,
                    f"recall@{k}": float(hit[sel].mean()) if n else 0.0})
    return out
