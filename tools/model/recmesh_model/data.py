"""Dataset loading and the leave-one-out split of EVAL-PROTOCOL.md (version 1).

Items are indexed by *row*: row 0 is padding, row i+1 is ``item_ids[i]``.
"""
from __future__ import annotations

from collections import Counter

import csv
import gzip
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ACTION_TYPES

ACTION_TO_ID = {name: i + 1 for i, name in enumerate(ACTION_TYPES)}  # 0 = padding


def action_id(name: str | None) -> int:
    """view..rate -> 1..6; unknown (e.g. 'review') -> 1."""
    return ACTION_TO_ID.get((name or "").strip().lower(), 1)


def _open_text(path: Path):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, "r", encoding="utf-8", newline="")


def events_path(dataset_dir: Path) -> Path:
    for name in ("events.csv", "events.csv.gz"):
        p = Path(dataset_dir) / name
        if p.exists():
            return p
    raise FileNotFoundError(f"no events.csv[.gz] in {dataset_dir}")


def resolve_dataset_dir(path: str | Path) -> Path:
    """Accept either the dataset folder or its normalized/ subfolder."""
    p = Path(path)
    if (p / "normalized").is_dir() and not any((p / n).exists() for n in ("events.csv", "events.csv.gz")):
        p = p / "normalized"
    return p


def file_sha256(paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _as_str(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        v = " ".join(str(x) for x in v if x is not None)
    v = str(v).strip()
    return v or None


@dataclass
class Dataset:
    name: str
    item_ids: list[str]                 # item_ids[i] is row i+1
    titles: list[str | None]            # per item (index i)
    categories: list[str | None]
    brands: list[str | None]
    attrs: list[list[int]]              # anonymous attribute ids (already ints, 1-based after remap)
    category_vocab: list[str]           # index+1 = id, 0 = unknown
    brand_vocab: list[str]
    num_attrs: int
    user_ids: list[str]
    seqs: list[np.ndarray]              # per user: item rows in chronological order (stable by ts)
    acts: list[np.ndarray]              # per user: action ids aligned with seqs
    events_files: list[Path] = field(default_factory=list)
    attr_vocab: list[str] = field(default_factory=list)  # raw attribute id of attribute id i+1 (as text)

    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    def item_text(self, i: int) -> str | None:
        """Text fed to the sentence encoder for item index i: 'title. category. brand' (parts present)."""
        parts = [p for p in (self.titles[i], self.categories[i], self.brands[i]) if p]
        if not self.titles[i]:
            return None
        return ". ".join(parts)

    def has_text(self) -> bool:
        return any(t for t in self.titles)

    def fingerprint(self) -> str:
        return file_sha256(self.events_files)


def _attributes_of(rec: dict) -> list:
    """An item's attributes: anonymous ids (`attribute_ids`, S3Rec's `s3rec_attribute_ids`) as ints,
    or a shop's `attributes` map (as recmesh's export writes it) as "key=value" strings, the names the
    serving runtime looks up for a new item (libs/model-runtime attributeNames)."""
    ids = rec.get("attribute_ids", rec.get("s3rec_attribute_ids"))
    if ids:
        return [int(x) for x in ids]
    shop = rec.get("attributes")
    if isinstance(shop, dict):
        return sorted({f"{k}={v}" for k, v in shop.items() if isinstance(v, str) and k and v})
    return []


def load_dataset(path: str | Path, name: str | None = None) -> Dataset:
    d = resolve_dataset_dir(path)
    name = name or (d.parent.name if d.name == "normalized" else d.name)
    item_ids: list[str] = []
    index: dict[str, int] = {}
    titles, cats, brands, raw_attrs = [], [], [], []
    items_file = d / "items.jsonl"
    if items_file.exists():
        with open(items_file, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                iid = str(rec["item_id"])
                if iid in index:
                    continue
                index[iid] = len(item_ids)
                item_ids.append(iid)
                titles.append(_as_str(rec.get("title")))
                cats.append(_as_str(rec.get("category")))
                brands.append(_as_str(rec.get("brand")))
                raw_attrs.append(_attributes_of(rec))

    ev = events_path(d)
    users: dict[str, int] = {}
    per_user_items: list[list[int]] = []
    per_user_acts: list[list[int]] = []
    per_user_ts: list[list[float]] = []
    with _open_text(ev) as f:
        reader = csv.DictReader(f)
        for row in reader:
            iid = row["item_id"]
            if iid not in index:  # item without metadata: still part of the catalog
                index[iid] = len(item_ids)
                item_ids.append(iid)
                titles.append(None); cats.append(None); brands.append(None); raw_attrs.append([])
            u = users.get(row["user_id"])
            if u is None:
                u = users[row["user_id"]] = len(per_user_items)
                per_user_items.append([]); per_user_acts.append([]); per_user_ts.append([])
            per_user_items[u].append(index[iid] + 1)
            per_user_acts[u].append(action_id(row.get("action")))
            per_user_ts[u].append(float(row["ts"]) if row.get("ts") not in (None, "") else 0.0)

    seqs, acts = [], []
    for items, a, ts in zip(per_user_items, per_user_acts, per_user_ts):
        order = np.argsort(np.asarray(ts, dtype=np.float64), kind="stable")  # ties keep file order
        seqs.append(np.asarray(items, dtype=np.int64)[order])
        acts.append(np.asarray(a, dtype=np.int64)[order])

    cat_vocab = sorted({c for c in cats if c})
    brand_vocab = sorted({b for b in brands if b})
    # A shop's "key=value" attribute held by a single item teaches nothing shared (and an item id
    # such as `fits` would grow the table by one row per item): only values two items share count.
    # Anonymous ids (the S3Rec datasets) are kept as given, so their vocabulary is unchanged.
    shared = Counter(x for a in raw_attrs for x in set(a) if isinstance(x, str))
    raw_attrs = [[x for x in a if not isinstance(x, str) or shared[x] >= 2] for a in raw_attrs]
    attr_vals = sorted({x for a in raw_attrs for x in a}, key=lambda x: (isinstance(x, str), x))
    attr_map = {v: i + 1 for i, v in enumerate(attr_vals)}
    attrs = [[attr_map[x] for x in a] for a in raw_attrs]
    return Dataset(name=name, item_ids=item_ids, titles=titles, categories=cats, brands=brands,
                   attrs=attrs, category_vocab=cat_vocab, brand_vocab=brand_vocab,
                   num_attrs=len(attr_vals), user_ids=list(users.keys()), seqs=seqs, acts=acts,
                   events_files=[ev], attr_vocab=[str(v) for v in attr_vals])


@dataclass
class Split:
    """Leave-one-out split. For user u: train = seq[:train_len[u]];
    valid target = seq[-2], test target = seq[-1] for users with >= 3 interactions."""
    train_len: np.ndarray       # per user
    eval_users: np.ndarray      # users with >= 3 interactions (have valid + test targets)
    valid_target: np.ndarray    # aligned with eval_users (item rows)
    test_target: np.ndarray
    item_train_count: np.ndarray  # (num_items+1,) interactions per row in the training part


def leave_one_out(ds: Dataset) -> Split:
    n_users = len(ds.seqs)
    train_len = np.zeros(n_users, dtype=np.int64)
    eval_users, vt, tt = [], [], []
    for u, s in enumerate(ds.seqs):
        if len(s) >= 3:
            train_len[u] = len(s) - 2
            eval_users.append(u); vt.append(s[-2]); tt.append(s[-1])
        else:
            train_len[u] = len(s)
    counts = np.zeros(ds.num_items + 1, dtype=np.int64)
    for u, s in enumerate(ds.seqs):
        np.add.at(counts, s[: train_len[u]], 1)
    return Split(train_len=train_len, eval_users=np.asarray(eval_users, dtype=np.int64),
                 valid_target=np.asarray(vt, dtype=np.int64), test_target=np.asarray(tt, dtype=np.int64),
                 item_train_count=counts)


def history(ds: Dataset, split: Split, u: int, stage: str) -> tuple[np.ndarray, np.ndarray]:
    """Input sequence (items, actions) for a user at stage 'valid' (train part) or 'test' (train + valid item)."""
    n = int(split.train_len[u]) + (1 if stage == "test" else 0)
    return ds.seqs[u][:n], ds.acts[u][:n]


def tail_items(counts: np.ndarray) -> np.ndarray:
    """Boolean mask over rows (row 0 = padding, False): True for tail items.
    Head = the smallest set of most popular items holding 20% of all training interactions."""
    c = counts[1:]
    total = c.sum()
    order = np.argsort(-c, kind="stable")
    cum = np.cumsum(c[order])
    n_head = int(np.searchsorted(cum, 0.2 * total, side="left") + 1) if total > 0 else 0
    tail = np.ones(len(c), dtype=bool)
    tail[order[:n_head]] = False
    return np.concatenate([[False], tail])


def default_datasets_root() -> Path:
    env = os.environ.get("RECMESH_DATASETS")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return (repo_root / ".." / "shared" / "datasets").resolve()


def cache_root() -> Path:
    return Path(os.environ.get("RECMESH_CACHE", str(Path.home() / ".cache" / "recmesh")))
