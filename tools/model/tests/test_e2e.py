"""Tiny end-to-end: train on a synthetic dataset, evaluate, export, onnxruntime parity (<= 1e-4)."""
import argparse
import json

import numpy as np
import onnx
import pytest

from recmesh_model import train as T
from recmesh_model.baselines import item_knn, most_popular
from recmesh_model.data import leave_one_out, load_dataset
from recmesh_model.export import check_parity, export_model, load_checkpoint
from recmesh_model.ranking import evaluate
from recmesh_model.synthetic import write_tiny_dataset


def tiny_args(**kw):
    p = argparse.ArgumentParser()
    T.add_args(p)
    a = p.parse_args([])
    a.hidden, a.max_len, a.blocks, a.heads = 16, 8, 1, 2
    a.epochs, a.patience, a.batch_size, a.quiet, a.dropout, a.attn_dropout = 6, 10, 32, True, 0.1, 0.1
    for k, v in kw.items():
        setattr(a, k, v)
    return a


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = write_tiny_dataset(tmp_path_factory.mktemp("tiny_ds"), text=False)
    ds = load_dataset(d)
    return ds, leave_one_out(ds)


def test_baselines_run(tiny):
    ds, sp = tiny
    for sc in (most_popular(ds, sp), item_knn(ds, sp)):
        m = evaluate(sc, ds, sp, "test")
        assert m["users"] == len(sp.eval_users) and 0 <= m["ndcg@10"] <= 1
        assert 0 < m["coverage@20"] <= 1


def test_train_is_deterministic_and_learns(tiny, tmp_path):
    ds, sp = tiny
    r1 = T.train(ds, sp, tiny_args(seed=3), tmp_path / "a")
    r2 = T.train(ds, sp, tiny_args(seed=3), tmp_path / "b")
    assert r1["best_valid_ndcg@10"] == r2["best_valid_ndcg@10"]
    log = [json.loads(l) for l in open(tmp_path / "a" / "train_log.jsonl")]
    assert log[-1]["loss"] < log[0]["loss"]
    m = evaluate(T.model_scorer(r1["model"], ds, sp), ds, sp, "test")
    pop = evaluate(most_popular(ds, sp), ds, sp, "test")
    assert m["recall@10"] >= pop["recall@10"]  # the synthetic chains are learnable
    assert (tmp_path / "a" / "checkpoint_best.pt").exists() and (tmp_path / "a" / "checkpoint_last.pt").exists()


@pytest.mark.parametrize("no_side", [False, True])
def test_export_layout_and_parity(tiny, tmp_path, no_side):
    ds, sp = tiny
    T.train(ds, sp, tiny_args(seed=1, epochs=2, no_side=no_side), tmp_path / "run")
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint_best.pt")
    out = tmp_path / "export"
    man = export_model(model, ck, out, None, {"ndcg@10": 0.1})
    assert man["format"] == "recmesh-model/1" and man["dims"] == {"hidden": 16, "max_seq_len": 8, "text_dim": 384}
    assert man["num_items"] == len(man["item_ids"]) == ds.num_items
    assert man["action_types"] == ["view", "click", "add_to_cart", "remove_from_cart", "purchase", "rate"]
    assert man["files"]["text_encoder"] is None and man["files"]["tokenizer_vocab"] is None
    assert man["side_info"]["categories"] == ds.category_vocab and man["side_info"]["brands"] == ds.brand_vocab
    assert man["side_info"]["attributes"] == []  # this catalog has none
    assert set(man["sha256"]) == {"user_encoder.onnx", "item_embeddings.onnx", "item_from_side.onnx"}
    assert man["training_data_fingerprint"] == ds.fingerprint()
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == man
    for f, names in {"user_encoder.onnx": (["item_seq", "action_seq"], ["user_vec"]),
                     "item_embeddings.onnx": (["item_rows"], ["item_vec"]),
                     "item_from_side.onnx": (["text_vec", "has_text", "category_id", "brand_id", "attr_ids"],
                                             ["item_vec"])}.items():
        g = onnx.load(str(out / f))
        assert [i.name for i in g.graph.input] == names[0] and [o.name for o in g.graph.output] == names[1]
        assert g.opset_import[0].version >= 17
        assert g.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch axis
    diffs = check_parity(model, out)
    assert max(diffs.values()) <= 1e-4, diffs
