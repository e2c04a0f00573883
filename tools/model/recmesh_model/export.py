"""Export a trained checkpoint to the recmesh-model/1 ONNX directory layout.

python -m recmesh_model.export --checkpoint runs/.../checkpoint_best.pt --out DIR
       [--text-encoder DIR_WITH_text_encoder.onnx] [--metrics report.json] [--model-version V] [--check]

Layout (consumed by libs/model-runtime via onnxruntime-node): manifest.json, user_encoder.onnx,
item_embeddings.onnx, item_from_side.onnx and, for text models, text_encoder.onnx + vocab.txt.

Every side-information kind the trainer accepts exports: text, category, brand, attributes (any mix) and
none (--no-side). item_from_side.onnx always takes the same five inputs; the ones a model does not use
are multiplied by zero so that they stay in the graph.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import ACTION_TYPES
from .model import SeqRec
from .progress import phase

OPSET = 17
TEXT_DIM = 384
ITEM_FROM_SIDE_INPUTS = ("text_vec", "has_text", "category_id", "brand_id", "attr_ids")
TOKENIZER = {"type": "bert-wordpiece", "lowercase": True, "max_length": 64, "cls": "[CLS]", "sep": "[SEP]",
             "pad": "[PAD]", "unk": "[UNK]"}


class UserEncoder(nn.Module):
    def __init__(self, model: SeqRec):
        super().__init__()
        self.model = model
        self.register_buffer("table", model.item_vectors().detach().clone())

    def forward(self, item_seq, action_seq):
        return self.model.user_vectors(item_seq, action_seq, self.table)


class ItemEmbeddings(nn.Module):
    def __init__(self, model: SeqRec):
        super().__init__()
        self.register_buffer("table", model.item_output(model.item_vectors()).detach().clone())

    def forward(self, item_rows):
        return F.embedding(item_rows, self.table)


class ItemFromSide(nn.Module):
    def __init__(self, model: SeqRec):
        super().__init__()
        self.model = model

    def forward(self, text_vec, has_text, category_id, brand_id, attr_ids):
        """attr_ids: int64 [batch, A], attribute ids padded with 0; the item's attribute part is the mean
        of E_attr over its non-zero ids (as in training). A is free; a row of zeros means no attributes."""
        v = self.model.item_from_side(text_vec, has_text, category_id, brand_id, attr_ids)
        # keep every declared input in the graph even when the model does not use it
        ids = (category_id + brand_id + attr_ids.sum(1)).unsqueeze(1).to(text_vec.dtype)
        keep = 0.0 * (text_vec[:, :1] + has_text + ids)
        return v + keep


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _export(module, args, path, input_names, output_names, dynamic_axes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True,
                          dynamo=False)


def load_checkpoint(path) -> tuple[SeqRec, dict]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = SeqRec(**ck["config"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck


def attribute_vocab(model: SeqRec, ck: dict) -> list[str]:
    """Names of attribute ids 1..num_attrs (the dataset's raw attribute ids, as text); [] without attributes."""
    if not model.use_attr:
        return []
    vocab = ck.get("attribute_vocab")
    n = model.attr_emb.num_embeddings - 1
    if vocab is None:
        raise ValueError("the checkpoint uses attributes but has no attribute_vocab (trained before it was saved): "
                         "pass the training dataset with --dataset-dir so the vocabulary can be rebuilt")
    if len(vocab) != n:
        raise ValueError(f"attribute_vocab has {len(vocab)} entries but the model has {n} attributes")
    return [str(a) for a in vocab]


def export_model(model: SeqRec, ck: dict, out: Path, text_encoder_dir: Path | None = None,
                 offline_metrics: dict | None = None, model_version: str | None = None) -> dict:
    model.eval()
    attributes = attribute_vocab(model, ck)
    out.mkdir(parents=True, exist_ok=True)
    L, d = model.max_len, model.hidden
    with torch.no_grad():
        seq = torch.zeros(2, L, dtype=torch.long)
        seq[:, -2:] = torch.tensor([[1, min(2, model.num_items)], [min(3, model.num_items), 1]])
        act = (seq > 0).long()
        _export(UserEncoder(model).eval(), (seq, act), out / "user_encoder.onnx", ["item_seq", "action_seq"],
                ["user_vec"], {"item_seq": {0: "batch"}, "action_seq": {0: "batch"}, "user_vec": {0: "batch"}})
        _export(ItemEmbeddings(model).eval(), (torch.arange(3, dtype=torch.long),), out / "item_embeddings.onnx",
                ["item_rows"], ["item_vec"], {"item_rows": {0: "n"}, "item_vec": {0: "n"}})
        tv = torch.randn(2, TEXT_DIM)
        attrs = torch.tensor([[1, 0, 0], [0, 0, 0]]) if model.use_attr else torch.zeros(2, 3, dtype=torch.long)
        _export(ItemFromSide(model).eval(),
                (tv, torch.ones(2, 1), torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.long), attrs),
                out / "item_from_side.onnx", list(ITEM_FROM_SIDE_INPUTS), ["item_vec"],
                {"text_vec": {0: "batch"}, "has_text": {0: "batch"}, "category_id": {0: "batch"},
                 "brand_id": {0: "batch"}, "attr_ids": {0: "batch", 1: "attrs"}, "item_vec": {0: "batch"}})
    files = {"user_encoder": "user_encoder.onnx", "item_embeddings": "item_embeddings.onnx",
             "item_from_side": "item_from_side.onnx", "text_encoder": None, "tokenizer_vocab": None}
    if model.use_text and text_encoder_dir is not None:
        for fn in ("text_encoder.onnx", "vocab.txt"):
            src = Path(text_encoder_dir) / fn
            if not src.exists():
                raise FileNotFoundError(f"{src} missing: run python -m recmesh_model.export_text_encoder --out {text_encoder_dir}")
            dst = out / fn
            if dst.exists() or dst.is_symlink():
                dst.unlink()
            shutil.copyfile(src, dst)
        files["text_encoder"], files["tokenizer_vocab"] = "text_encoder.onnx", "vocab.txt"
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    sha = {f: sha256_file(out / f) for f in files.values() if f}
    if model_version is None:
        model_version = f"{ck.get('dataset', 'model')}-{hashlib.sha256(''.join(sorted(sha.values())).encode()).hexdigest()[:12]}"
    metrics = dict(offline_metrics or {})
    if not metrics and ck.get("valid_metrics"):
        metrics = {"valid": {k: v for k, v in ck["valid_metrics"].items() if isinstance(v, (int, float))}}
    manifest = {
        "format": "recmesh-model/1",
        "model_version": model_version,
        "created_at": created,
        "dims": {"hidden": d, "max_seq_len": L, "text_dim": TEXT_DIM},
        "num_items": model.num_items,
        "item_ids": list(ck["item_ids"]),
        "action_types": list(ACTION_TYPES),
        "side_info": {"categories": list(ck.get("category_vocab", [])), "brands": list(ck.get("brand_vocab", [])),
                      "attributes": attributes},
        "files": files,
        "sha256": sha,
        "training_data_fingerprint": ck.get("fingerprint", ""),
        "offline_metrics": metrics,
        "tokenizer": dict(TOKENIZER),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def check_parity(model: SeqRec, out: Path, n: int = 16, seed: int = 0) -> dict:
    """Max abs difference onnxruntime vs PyTorch for the three model graphs on random inputs."""
    import onnxruntime as ort
    g = torch.Generator().manual_seed(seed)
    L, N = model.max_len, model.num_items
    seq = torch.randint(1, N + 1, (n, L), generator=g)
    lens = torch.randint(0, L + 1, (n,), generator=g)
    for i in range(n):
        seq[i, : L - int(lens[i])] = 0
    act = torch.randint(1, 7, (n, L), generator=g) * (seq > 0)
    rows = torch.arange(N + 1)
    tv = F.normalize(torch.randn(n, TEXT_DIM, generator=g), dim=1)
    ht = (torch.rand(n, 1, generator=g) > 0.3).float()
    tv = tv * ht
    nc = model.cat_emb.num_embeddings if model.cat_emb is not None else 1
    nb = model.brand_emb.num_embeddings if model.brand_emb is not None else 1
    na = model.attr_emb.num_embeddings if model.attr_emb is not None else 1
    cat = torch.randint(0, nc, (n,), generator=g)
    br = torch.randint(0, nb, (n,), generator=g)
    # 0..3 attributes per item, left-aligned and padded with 0 (rows of all zeros included)
    at = torch.randint(1, na, (n, 3), generator=g) if na > 1 else torch.zeros(n, 3, dtype=torch.long)
    at = at * (torch.arange(3).unsqueeze(0) < torch.randint(0, 4, (n, 1), generator=g))
    model.eval()
    with torch.no_grad():
        table = model.item_vectors()
        ref_u = model.user_vectors(seq, act, table).numpy()
        ref_i = model.item_output(table)[rows].numpy()
        ref_s = model.item_from_side(tv, ht, cat, br, at).numpy()

    def run(f, feeds):
        s = ort.InferenceSession(str(out / f), providers=["CPUExecutionProvider"])
        return s.run(None, feeds)[0]
    u = run("user_encoder.onnx", {"item_seq": seq.numpy(), "action_seq": act.numpy()})
    i = run("item_embeddings.onnx", {"item_rows": rows.numpy()})
    s = run("item_from_side.onnx", {"text_vec": tv.numpy(), "has_text": ht.numpy(), "category_id": cat.numpy(),
                                    "brand_id": br.numpy(), "attr_ids": at.numpy()})
    return {"user_encoder": float(np.abs(u - ref_u).max()), "item_embeddings": float(np.abs(i - ref_i).max()),
            "item_from_side": float(np.abs(s - ref_s).max())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--text-encoder", default=None,
                   help="folder holding text_encoder.onnx + vocab.txt (from export_text_encoder); copied in")
    p.add_argument("--metrics", default=None, help="reports/model/<dataset>/<model>.json to embed as offline_metrics")
    p.add_argument("--model-version", default=None)
    p.add_argument("--dataset-dir", default=None,
                   help="training dataset; only needed to rebuild the attribute vocabulary of checkpoints "
                        "saved before it was stored in them")
    p.add_argument("--check", action="store_true", help="run the onnxruntime parity check (max abs <= 1e-4)")
    args = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("RECMESH_THREADS", "2")))
    with phase("load checkpoint"):
        model, ck = load_checkpoint(args.checkpoint)
    if args.dataset_dir and model.use_attr and "attribute_vocab" not in ck:
        from .data import load_dataset
        ck["attribute_vocab"] = load_dataset(args.dataset_dir).attr_vocab
    metrics = None
    if args.metrics:
        rep = json.loads(Path(args.metrics).read_text())
        metrics = {"protocol": rep.get("protocol"), "dataset": rep.get("dataset"), "model": rep.get("model"),
                   "seeds": rep.get("seeds"), **{k: v for k, v in rep["metrics"].items()}}
    te = Path(args.text_encoder) if args.text_encoder else None
    with phase(f"export ONNX ({model.num_items} items) to {args.out}"):
        man = export_model(model, ck, Path(args.out), te, metrics, args.model_version)
    print(json.dumps({k: man[k] for k in ("model_version", "dims", "num_items", "files", "sha256")}, indent=2))
    if args.check:
        with phase("onnxruntime parity check"):
            diffs = check_parity(model, Path(args.out))
        print("parity max abs diff:", json.dumps(diffs))
        if max(diffs.values()) > 1e-4:
            raise SystemExit("parity check FAILED (> 1e-4)")


if __name__ == "__main__":
    main()
