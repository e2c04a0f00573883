"""Issue 16's tools: the popularity diagnosis of a checkpoint and the validation-only sweep."""
import json

import numpy as np

from recmesh_model import train as T
from recmesh_model.diagnose import diagnose, popularity_deciles
from recmesh_model.sweep import main as sweep_main, pick
from test_e2e import tiny, tiny_args  # noqa: F401  (module fixture)


def test_deciles_are_ten_equal_groups_with_the_most_popular_last():
    counts = np.concatenate([[0], np.arange(100)[::-1]])  # row 1 is the most popular
    dec = popularity_deciles(counts)
    assert dec[0] == -1
    assert np.bincount(dec[1:]).tolist() == [10] * 10
    assert dec[1] == 9 and dec[100] == 0


def test_pick_takes_the_best_tail_recall_within_one_percent_of_the_best_ndcg():
    rows = [{"config": c, "valid": {"ndcg@10": n, "tail_recall@20": t}}
            for c, n, t in (("best", 0.0500, 0.010), ("close", 0.0496, 0.030), ("far", 0.0480, 0.090))]
    assert pick(rows)["config"] == "close"


def test_diagnosis_of_a_side_model_accounts_for_all_mass_and_slots(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    T.train(ds, sp, tiny_args(seed=0, epochs=2), tmp_path / "run")
    users = sp.eval_users[:50]
    d = diagnose("side", tmp_path / "run" / "checkpoint_best.pt", ds, sp, users)
    by = d["by_decile"]
    assert abs(sum(by["score_mass"]) - 1.0) < 1e-3  # history items are masked out of the softmax
    assert abs(sum(by["top10_slot_share"]) - 1.0) < 1e-6
    assert abs(sum(by["train_interaction_share"]) - 1.0) < 1e-9
    gates = [g for g in d["by_bucket"]["gate"] if g is not None]
    assert gates and all(0.0 < g < 1.0 for g in gates)
    assert -1.0 <= d["pair_cosine"]["side"] <= 1.0


def test_sweep_trains_each_config_and_appends_validation_rows(tiny, tmp_path):  # noqa: F811
    from recmesh_model.synthetic import write_tiny_dataset
    d = write_tiny_dataset(tmp_path / "ds", text=False)
    out = tmp_path / "sweep.jsonl"
    sweep_main(["--dataset-dir", str(d), "--out", str(out), "--runs", str(tmp_path / "runs"), "--hidden", "8",
                "--max-len", "8", "--blocks", "1", "--epochs", "1", "--batch-size", "32", "--quiet",
                "--config", "base=", "--config", "side_gate=--gate side --logit-adjust 0.5"])
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["config"] for r in rows] == ["base", "side_gate"]
    assert rows[1]["options"] == "--gate side --logit-adjust 0.5"
    for r in rows:
        assert 0.0 <= r["valid"]["ndcg@10"] <= 1.0 and 0.0 < r["valid"]["coverage@10"] <= 1.0
