"""Generic full-ranking evaluation loop over any scorer (trained model or baseline)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .data import Dataset, Split, history, tail_items
from .metrics import MetricAccumulator, rank_of_target
from .progress import steps

# scorer(users: np.ndarray, stage: str) -> torch.Tensor (B, num_items+1) scores by row
Scorer = Callable[[np.ndarray, str], torch.Tensor]


def evaluate(scorer: Scorer, ds: Dataset, split: Split, stage: str = "test", batch_size: int = 1024,
             mask_history: bool = True, full: bool = True, max_users: int | None = None) -> dict:
    """stage 'valid': target = second-to-last item, history = training part.
    stage 'test': target = last item, history = training part + validation item."""
    users = split.eval_users
    targets = split.valid_target if stage == "valid" else split.test_target
    if max_users is not None and len(users) > max_users:
        users, targets = users[:max_users], targets[:max_users]
    acc = MetricAccumulator(ds.num_items, tail_items(split.item_train_count) if full else None,
                            split.item_train_count if full else None)
    with torch.no_grad():
        starts = range(0, len(users), batch_size)
        # A bar (with ETA) on a terminal for the full test ranking; the per-epoch validation stays silent.
        for s in steps(starts, f"{stage} ranking ({len(users)} users)", total=len(starts), disable=not full):
            ub = users[s:s + batch_size]
            tb = torch.from_numpy(targets[s:s + batch_size])
            scores = scorer(ub, stage).float()
            hist = [history(ds, split, int(u), stage)[0] for u in ub] if mask_history else None
            ranks, top = rank_of_target(scores, tb, hist, topk=20 if full else 0)
            acc.add(ranks, tb, top)
    return acc.result()
