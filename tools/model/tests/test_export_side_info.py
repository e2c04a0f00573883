"""Every side-information kind the trainer accepts exports and serves new items: text, category, brand,
attributes (anonymous ids, e.g. Beauty/Sports), all of them, none (--no-side)."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F

from recmesh_model import export as E
from recmesh_model import train as T
from recmesh_model.data import leave_one_out, load_dataset
from recmesh_model.export import ITEM_FROM_SIDE_INPUTS, check_parity, export_model, load_checkpoint
from recmesh_model.model import SeqRec
from recmesh_model.synthetic import write_tiny_dataset
from test_e2e import tiny_args

KINDS = {
    "text": dict(use_text=True),
    "category": dict(num_categories=3),
    "brand": dict(num_brands=4),
    "attributes": dict(num_attrs=5, max_attrs=3),
    "all": dict(use_text=True, num_categories=3, num_brands=4, num_attrs=5, max_attrs=3),
    "none": dict(),
}


def random_model(kind: str, seed: int = 0) -> SeqRec:
    """Random weights (padding rows zero, as training keeps them) and row-aligned side information."""
    torch.manual_seed(seed)
    m = SeqRec(num_items=12, hidden=8, max_len=5, blocks=1, heads=2, dropout=0.0, attn_dropout=0.0, **KINDS[kind])
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
        for emb in (m.item_emb, m.act_emb, m.cat_emb, m.brand_emb, m.attr_emb):
            if emb is not None:
                emb.weight[0].zero_()
    tv = F.normalize(torch.randn(13, 384, generator=g), dim=1).numpy()
    attrs = np.array([[0, 0, 0]] + [[1 + i % 5, 1 + (i + 2) % 5, 0][: 1 + i % 3] + [0] * (2 - i % 3) for i in range(12)])
    m.set_side_info(text_vec=tv, has_text=np.ones(13), cat_id=np.arange(13) % 4, brand_id=np.arange(13) % 5,
                    attr_ids=attrs if m.use_attr else None, train_count=np.arange(13) * 3)
    m.eval()
    return m


def ck_for(m: SeqRec) -> dict:
    return {"item_ids": [f"i{r}" for r in range(1, 13)], "category_vocab": ["a", "b", "c"],
            "brand_vocab": ["w", "x", "y", "z"], "attribute_vocab": ["11", "12", "13", "14", "15"]}


def item_from_side(out, text_vec, has_text, cat, brand, attr_ids):
    s = ort.InferenceSession(str(out / "item_from_side.onnx"), providers=["CPUExecutionProvider"])
    return s.run(None, {"text_vec": text_vec, "has_text": has_text, "category_id": cat, "brand_id": brand,
                        "attr_ids": attr_ids})[0]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_side_kind_exports_with_parity(kind, tmp_path):
    m = random_model(kind)
    man = export_model(m, ck_for(m), tmp_path, None, {})
    assert man["side_info"]["attributes"] == (["11", "12", "13", "14", "15"] if m.use_attr else [])
    g = onnx.load(str(tmp_path / "item_from_side.onnx"))
    assert [i.name for i in g.graph.input] == list(ITEM_FROM_SIDE_INPUTS)
    shape = g.graph.input[4].type.tensor_type.shape.dim
    assert shape[0].dim_param and shape[1].dim_param  # attr_ids: dynamic batch and width
    diffs = check_parity(m, tmp_path)
    print(kind, diffs)
    assert max(diffs.values()) <= 1e-4, diffs


def test_attribute_input_is_a_padded_mean(tmp_path):
    m = random_model("all")
    export_model(m, ck_for(m), tmp_path, None, {})
    n = 4
    tv, ht = np.zeros((n, 384), np.float32), np.zeros((n, 1), np.float32)
    cat, br = np.array([1, 1, 1, 1]), np.array([2, 2, 2, 2])
    narrow = item_from_side(tmp_path, tv, ht, cat, br, np.array([[1, 3], [1, 0], [0, 0], [5, 5]]))
    wide = item_from_side(tmp_path, tv, ht, cat, br, np.array([[1, 3, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [5, 5, 0, 0]]))
    assert np.abs(narrow - wide).max() <= 1e-6  # padding width does not matter
    assert np.abs(narrow[0] - narrow[1]).max() > 1e-3  # attributes change the vector
    with torch.no_grad():  # the mean over the non-zero ids, on top of category and brand
        e = m.attr_emb.weight
        side = m.cat_emb.weight[1] + m.brand_emb.weight[2]
        want = torch.stack([side + (e[1] + e[3]) / 2, side + e[1], side, side + e[5]]).numpy()
    assert np.abs(narrow - want).max() <= 1e-5


@pytest.fixture(scope="module")
def attr_only(tmp_path_factory):
    """An attribute-only catalog (no titles, categories or brands), as the Beauty and Sports datasets."""
    d = write_tiny_dataset(tmp_path_factory.mktemp("attr_ds"), text=False, cat_brand=False, attributes=True)
    ds = load_dataset(d)
    return d, ds, leave_one_out(ds)


def test_attribute_only_model_trains_exports_and_serves_new_items(attr_only, tmp_path):
    d, ds, sp = attr_only
    assert not ds.has_text() and ds.category_vocab == [] and ds.brand_vocab == [] and ds.num_attrs == 4 + 5 + 7
    T.train(ds, sp, tiny_args(seed=0, epochs=2), tmp_path / "run")
    ck_path = tmp_path / "run" / "checkpoint_best.pt"
    model, ck = load_checkpoint(ck_path)
    assert model.use_attr and not (model.use_text or model.use_cat or model.use_brand)
    # the CLI, as ci.sh runs it (this raised "TypeError: unsupported operand type(s) for +: 'NoneType' and 'Tensor'")
    E.main(["--checkpoint", str(ck_path), "--out", str(tmp_path / "model"), "--check"])
    man = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert man["side_info"]["attributes"] == ds.attr_vocab == [str(a) for a in sorted({100, 101, 102, 103} | set(
        range(200, 205)) | set(range(300, 307)))]
    # a new item with a trained item's attributes gets that item's side vector (the trained row minus its id part)
    row = 6  # item I005: raw attribute ids [101, 201, 305]
    ids = model.attr_ids[row : row + 1].numpy()
    assert [man["side_info"]["attributes"][i - 1] for i in ids[0] if i] == ["101", "201", "305"]
    got = item_from_side(tmp_path / "model", np.zeros((1, 384), np.float32), np.zeros((1, 1), np.float32),
                         np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), ids)
    with torch.no_grad():
        want = model.side_vector(None, None, None, None, model.attr_ids[row : row + 1]).numpy()
    assert np.abs(got - want).max() <= 1e-5


def test_checkpoint_without_attribute_vocab_needs_the_dataset(attr_only, tmp_path):
    d, ds, sp = attr_only
    T.train(ds, sp, tiny_args(seed=0, epochs=1), tmp_path / "run")
    ck_path = tmp_path / "run" / "checkpoint_best.pt"
    ck = torch.load(ck_path, map_location="cpu", weights_only=False)
    del ck["attribute_vocab"]  # as saved before the vocabulary was stored
    torch.save(ck, ck_path)
    with pytest.raises(ValueError, match="--dataset-dir"):
        E.main(["--checkpoint", str(ck_path), "--out", str(tmp_path / "a")])
    E.main(["--checkpoint", str(ck_path), "--out", str(tmp_path / "b"), "--dataset-dir", str(d)])
    man = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert man["side_info"]["attributes"] == ds.attr_vocab


def test_shop_attribute_maps_train_export_and_serve_by_name(attr_only, tmp_path):
    """A shop's catalog with attributes and no titles (what recmesh's export writes): the attribute
    names in the export are "key=value", the names serving looks a new item's attributes up by."""
    d, _, _ = attr_only
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "events.csv").write_text((d / "events.csv").read_text())
    with open(d / "items.jsonl") as src, open(shop / "items.jsonl", "w") as dst:
        for line in src:
            it = json.loads(line)
            ids = it.pop("attribute_ids", [])
            it["attributes"] = {f"k{i}": str(a) for i, a in enumerate(ids)}
            dst.write(json.dumps(it) + "\n")
    ds = load_dataset(shop)
    assert ds.num_attrs > 0 and all("=" in a for a in ds.attr_vocab)
    T.train(ds, leave_one_out(ds), tiny_args(seed=0, epochs=1), tmp_path / "run")
    E.main(["--checkpoint", str(tmp_path / "run" / "checkpoint_best.pt"), "--out", str(tmp_path / "model"), "--check"])
    man = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert man["side_info"]["attributes"] == ds.attr_vocab
    assert "k0=101" in ds.attr_vocab  # the first attribute of items I001, I006, ...: shared, so kept
