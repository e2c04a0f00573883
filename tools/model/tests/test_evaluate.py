"""Report merging of seeds trained in separate processes (evaluate --add-seeds)."""
import json

import pytest

from recmesh_model.evaluate import machines_line, merge_seeds


def report(path, params, seeds):
    path.write_text(json.dumps({"params": params, "seeds": seeds, "eval_seconds": 4.0,
                                "per_seed": [{"ndcg@10": 0.1 * (s + 1)} for s in seeds],
                                "runs": [{"seed": s, "train_seconds": 10.0} for s in seeds]}))


def test_merge_keeps_old_seeds_orders_by_seed_and_new_run_wins(tmp_path):
    p = tmp_path / "transformer_side.json"
    report(p, {"hidden": 64}, [0, 2])
    per_seed, runs, seeds, esec = merge_seeds(p, {"hidden": 64}, [{"ndcg@10": 0.9}, {"ndcg@10": 0.5}],
                                              [{"seed": 2}, {"seed": 1}], [2, 1], [6.0, 8.0])
    assert seeds == [0, 1, 2]
    assert [r["seed"] for r in runs] == [0, 1, 2]
    assert [m["ndcg@10"] for m in per_seed] == [0.1, 0.5, 0.9]  # seed 2 replaced by this run
    assert esec == [4.0, 8.0, 6.0]


def test_merge_refuses_other_params(tmp_path):
    p = tmp_path / "transformer_id.json"
    report(p, {"hidden": 64}, [0])
    with pytest.raises(SystemExit, match="other params"):
        merge_seeds(p, {"hidden": 128}, [{}], [{"seed": 1}], [1], [1.0])


def test_merge_without_report_is_this_run(tmp_path):
    out = merge_seeds(tmp_path / "none.json", {}, [{"a": 1}], [{"seed": 3}], [3], [2.0])
    assert out == ([{"a": 1}], [{"seed": 3}], [3], [2.0])


def test_evaluate_takes_a_dataset_path_and_writes_under_reports(tmp_path, monkeypatch):
    from recmesh_model import evaluate as ev
    from recmesh_model.synthetic import write_tiny_dataset
    monkeypatch.setenv("RECMESH_DATASETS", str(tmp_path / "no-datasets-here"))
    write_tiny_dataset(tmp_path / "my_shop" / "normalized", text=False, cat_brand=False, attributes=True)
    for given in (tmp_path / "my_shop", tmp_path / "my_shop" / "normalized"):
        reports = tmp_path / f"reports-{given.name}"
        ev.main(["--dataset", str(given), "--models", "most_popular", "--reports", str(reports)])
        rep = json.loads((reports / "my_shop" / "most_popular.json").read_text())
        assert rep["dataset"] == "my_shop" and rep["num_items"] == 40
        assert (reports / "my_shop" / "README.md").exists()
    with pytest.raises(SystemExit, match="neither a folder"):
        ev.main(["--dataset", str(tmp_path / "missing"), "--models", "most_popular", "--reports", str(tmp_path)])


def test_machines_line_names_each_models_machine_when_runs_were_made_apart():
    one = [{"model": "item_knn", "machine": "A"}, {"model": "transformer_id", "machine": "A"}]
    assert machines_line(one) == "Machine: A."
    apart = one + [{"model": "transformer_side", "machine": "B"}]
    assert machines_line(apart) == "Machines: `item_knn`, `transformer_id` on A; `transformer_side` on B."
