import json
import xml.etree.ElementTree as ET

from recmesh_model import plots


def report(model, ndcg, coverage, seeds=(), buckets=None, curves=None):
    r = {"dataset": "toy", "model": model, "seeds": list(seeds), "users_evaluated": 10, "num_items": 50,
         "metrics": {"ndcg@10": ndcg, "recall@10": 2 * ndcg, "coverage@10": coverage, "tail_recall@10": ndcg,
                     "cold_recall@10": ndcg / 2, "users": 10, "tail_users": 6, "cold_users": 3}}
    if len(seeds) > 1:
        r["metrics_std"] = {"ndcg@10": 0.001, "coverage@10": 0.01}
    if buckets:
        r["by_popularity"] = [{"bucket": b, "min": 0, "max": 5, "users": 5, "ndcg@10": v, "ndcg@10_std": 0.002}
                              for b, v in buckets]
    if curves:
        r["runs"] = [{"seed": i, "curve": [{"epoch": e + 1, "loss": l, "valid_ndcg@10": n} for e, (l, n) in enumerate(c)]}
                     for i, c in enumerate(curves)]
    return r


def write(tmp_path, reps):
    for r in reps:
        (tmp_path / f"{r['model']}.json").write_text(json.dumps(r))
    (tmp_path / "README.md").write_text("# Offline evaluation: toy\n\ntable\n\n## Published numbers (from the dataset README)\n\nNone.\n")


def test_plots_from_old_reports_fall_back_to_segments_and_skip_curves(tmp_path):
    write(tmp_path, [report("most_popular", 0.01, 0.002), report("transformer_side", 0.08, 0.7, seeds=(0, 1, 2), curves=None)])
    plots.main([str(tmp_path)])
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == ["coverage_at_10.svg", "ndcg_at_10.svg", "recall_by_segment.svg"]
    for p in tmp_path.glob("*.svg"):
        ET.fromstring(p.read_text())  # well-formed XML
    cov = (tmp_path / "coverage_at_10.svg").read_text()
    assert "transformer_side, transformer_side: 0.7000 ± 0.0100" in cov and "0.0020" in cov
    readme = (tmp_path / "README.md").read_text()
    assert readme.index("## Plots") < readme.index("## Published numbers")
    assert "![coverage@10 per model](coverage_at_10.svg)" in readme and "recall_by_segment.svg" in readme


def test_plots_buckets_and_curves_when_present_and_are_deterministic(tmp_path):
    buckets = [("0-5", 0.02), ("6-20", 0.05), (">200", 0.1)]
    curves = [[(9.0, 0.03), (8.5, 0.05), (8.4, 0.06)], [(9.1, 0.02), (8.6, 0.05)]]
    write(tmp_path, [report("item_knn", 0.07, 0.99, buckets=buckets),
                     report("transformer_side", 0.08, 0.7, seeds=(0, 1), buckets=buckets, curves=curves)])
    (tmp_path / "recall_by_segment.svg").write_text("<svg/>")  # stale, from an older report
    plots.main([str(tmp_path)])
    names = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert names == ["coverage_at_10.svg", "ndcg_at_10.svg", "ndcg_by_popularity.svg", "training_curves.svg"]
    pop = (tmp_path / "ndcg_by_popularity.svg").read_text()
    assert "item_knn, 6-20 | 5 users: 0.0500" in pop and "transformer_side, &gt;200 | 5 users: 0.1000 ± 0.0020" in pop
    curves_svg = (tmp_path / "training_curves.svg").read_text()
    ET.fromstring(curves_svg)
    assert curves_svg.count("<polyline") == 4  # 2 runs x (validation NDCG, loss)
    before = {p.name: p.read_text() for p in tmp_path.glob("*")}
    plots.main([str(tmp_path)])  # again: same bytes, and the README section is replaced, not repeated
    assert {p.name: p.read_text() for p in tmp_path.glob("*")} == before
    assert before["README.md"].count("## Plots") == 1 and "training_curves.svg" in before["README.md"]
