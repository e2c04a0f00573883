"""A tiny deterministic dataset in the normalized format (for tests, CI and fixtures)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import ACTION_TYPES

CATS = ["Lab Supplies", "3D Printing Filament", "Safety Gloves", "Adhesive Tapes"]
BRANDS = ["Acme", "eSUN", "uxcell", None]
WORDS = ["red", "blue", "steel", "nitrile", "PETG", "1.75mm", "pack", "large", "small", "tape", "tips", "roll"]


def write_tiny_dataset(out: Path, n_items: int = 40, n_users: int = 120, seed: int = 0, text: bool = True,
                       cat_brand: bool = True, attributes: bool = False) -> Path:
    """Users walk mostly forward along a per-category item chain, so the next item is learnable.

    text=False drops the titles (and half the categories); cat_brand=False drops categories and brands;
    attributes=True adds 1..3 anonymous attribute ids per item (S3Rec style, the first one shared along
    the item's chain). text=False, cat_brand=False, attributes=True is an attribute-only catalog."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(n_items):
        c = CATS[i % len(CATS)]
        b = BRANDS[(i // 3) % len(BRANDS)]
        title = " ".join(rng.choice(WORDS, 3)) + f" item {i}" if text else None
        it = {"item_id": f"I{i:03d}", "title": title}
        if cat_brand:
            it.update(category=c if text or i % 2 else None, brand=b)
        if attributes:
            it["attribute_ids"] = [100 + i % len(CATS), 200 + (i // 3) % 5, 300 + i % 7][: 1 + i % 3]
        items.append(it)
    with open(out / "items.jsonl", "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    lines = ["user_id,item_id,ts,action"]
    for u in range(n_users):
        n = int(rng.integers(3, 12))
        cur = int(rng.integers(0, n_items))
        for t in range(n):
            act = ACTION_TYPES[int(rng.integers(0, len(ACTION_TYPES)))] if rng.random() < 0.8 else "review"
            lines.append(f"U{u:04d},I{cur:03d},{1000 + 10 * t},{act}")
            cur = (cur + len(CATS)) % n_items if rng.random() < 0.8 else int(rng.integers(0, n_items))
    (out / "events.csv").write_text("\n".join(lines) + "\n")
    return out
