"""Non-neural baselines in the same evaluation harness: MostPopular and ItemKNN."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from .data import Dataset, Split, history


def most_popular(ds: Dataset, split: Split):
    pop = torch.from_numpy(split.item_train_count.astype(np.float32))

    def score(users: np.ndarray, stage: str) -> torch.Tensor:
        return pop.unsqueeze(0).expand(len(users), -1).clone()
    return score


def item_knn(ds: Dataset, split: Split, recent: int = 0):
    """Co-occurrence cosine over users' training histories:
    sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) sqrt(|U_j|)); score(u, j) = sum_{i in hist(u)} sim(i, j)
    (the last `recent` history items only when recent > 0)."""
    rows, cols = [], []
    for u, s in enumerate(ds.seqs):
        t = np.unique(s[: split.train_len[u]])
        rows.append(np.full(len(t), u)); cols.append(t)
    r = np.concatenate(rows); c = np.concatenate(cols)
    X = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(ds.seqs), ds.num_items + 1))
    co = (X.T @ X).tocsr().astype(np.float32)
    co.setdiag(0); co.eliminate_zeros()
    n = np.asarray(X.sum(0)).ravel().astype(np.float32)
    inv = 1.0 / (np.sqrt(n) + 1e-12)
    S = sp.diags(inv) @ co @ sp.diags(inv)
    S = S.tocsr()

    def score(users: np.ndarray, stage: str) -> torch.Tensor:
        hr, hc = [], []
        for j, u in enumerate(users):
            h = history(ds, split, int(u), stage)[0]
            if recent:
                h = h[-recent:]
            h = np.unique(h)
            hr.append(np.full(len(h), j)); hc.append(h)
        H = sp.csr_matrix((np.ones(sum(len(x) for x in hc), dtype=np.float32),
                           (np.concatenate(hr), np.concatenate(hc))), shape=(len(users), ds.num_items + 1))
        return torch.from_numpy(np.asarray((H @ S).todense(), dtype=np.float32))
    return score
