"""The committed TypeScript parity fixtures are self-consistent and match the current tokenizer."""
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

FX = Path(__file__).resolve().parents[1] / "fixtures"


def sess(fixture, name):
    return ort.InferenceSession(str(FX / fixture / name), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("fixture", ["tiny", "tiny-attr"])
def test_tiny_fixture_onnx_matches_expected(fixture):
    exp = json.loads((FX / fixture / "expected.json").read_text())
    man = json.loads((FX / fixture / "manifest.json").read_text())
    assert man["dims"]["hidden"] == exp["hidden"] and man["num_items"] == exp["num_items"] == len(man["item_ids"])
    u = exp["user_encoder"]
    got = sess(fixture, "user_encoder.onnx").run(None, {"item_seq": np.array(u["item_seq"], dtype=np.int64),
                                                "action_seq": np.array(u["action_seq"], dtype=np.int64)})[0]
    assert np.abs(got - np.array(u["user_vec"])).max() <= 1e-4
    i = exp["item_embeddings"]
    iv = sess(fixture, "item_embeddings.onnx").run(None, {"item_rows": np.array(i["item_rows"], dtype=np.int64)})[0]
    assert np.abs(iv - np.array(i["item_vec"])).max() <= 1e-4
    s = exp["item_from_side"]
    n = len(s["category_id"])
    sv = sess(fixture, "item_from_side.onnx").run(None, {
        "text_vec": np.array(s["text_vec"], dtype=np.float32), "has_text": np.array(s["has_text"], dtype=np.float32),
        "category_id": np.array(s["category_id"], dtype=np.int64), "brand_id": np.array(s["brand_id"], dtype=np.int64),
        "attr_ids": np.array(s.get("attr_ids", [[0]] * n), dtype=np.int64)})[0]
    assert np.abs(sv - np.array(s["item_vec"])).max() <= 1e-4
    scores = got @ iv.T
    scores[:, 0] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    assert top.tolist() == exp["scores"]["top5_rows"]
    import hashlib
    for f, h in man["sha256"].items():
        assert hashlib.sha256((FX / fixture / f).read_bytes()).hexdigest() == h
    if "attributes" in s:  # the names a runtime caller passes map to the ids through the manifest
        vocab = {a: i + 1 for i, a in enumerate(man["side_info"]["attributes"])}
        assert [sorted({vocab[a] for a in names if a in vocab}) for names in s["attributes"]] == \
            [sorted({i for i in row if i}) for row in s["attr_ids"]]


def test_tokenizer_cases_match_package_tokenizer():
    from recmesh_model.export_text_encoder import load_tokenizer
    tok = load_tokenizer()
    data = json.loads((FX / "tokenizer-cases.json").read_text())
    assert len(data["cases"]) >= 25
    for c in data["cases"]:
        ids = tok(c["text"], truncation=True, max_length=64)["input_ids"]
        assert ids == c["input_ids"], c["text"]
        assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id and len(ids) <= 64
