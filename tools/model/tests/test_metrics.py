import math

import numpy as np
import torch

from recmesh_model.metrics import compute_metrics, rank_of_target


def test_ties_count_against_model_and_history_mask():
    # rows: 0 pad, 1..5
    s = torch.tensor([[9.0, 1.0, 2.0, 2.0, 5.0, 0.5]])
    r, _ = rank_of_target(s, torch.tensor([2]), None)
    assert r.item() == 3  # item4 (5.0) and item3 (2.0 tie) rank at or above target; padding excluded
    r, _ = rank_of_target(s, torch.tensor([2]), [np.array([4])])
    assert r.item() == 2  # item 4 masked
    r, _ = rank_of_target(s, torch.tensor([2]), [np.array([4, 3, 2])])  # the target itself is never masked
    assert r.item() == 1


def test_all_equal_scores_rank_last():
    s = torch.zeros(1, 11)
    r, top = rank_of_target(s, torch.tensor([5]), [np.array([], dtype=np.int64)], topk=3)
    assert r.item() == 10 and top.shape == (1, 3) and 0 not in top[0].tolist()


def test_metric_values():
    ranks = np.array([1, 3, 10, 11, 25])
    targets = np.array([1, 2, 3, 4, 5])
    tail = np.array([False, False, True, True, False, True])
    count = np.array([0, 100, 3, 6, 5, 0])
    m = compute_metrics(ranks, targets, 5, tail, count, topk_items={10: {1, 2}, 20: {1, 2, 3, 4, 5}})
    assert m["recall@10"] == 3 / 5 and m["recall@20"] == 4 / 5
    assert math.isclose(m["ndcg@10"], (1 + 1 / math.log2(4) + 1 / math.log2(11)) / 5)
    assert math.isclose(m["mrr@10"], (1 + 1 / 3 + 1 / 10) / 5)
    assert m["coverage@10"] == 2 / 5 and m["coverage@20"] == 1.0
    # tail targets: 2, 3, 5 -> ranks 3, 10, 25
    assert m["tail_users"] == 3 and math.isclose(m["tail_recall@10"], 2 / 3)
    # cold (<= 5 training interactions): targets 2 (3), 4 (5), 5 (0) -> ranks 3, 11, 25
    assert m["cold_users"] == 3 and math.isclose(m["cold_recall@20"], 2 / 3)


def test_ndcg_by_popularity_bucket():
    ranks = np.array([1, 3, 10, 11, 25])
    targets = np.array([1, 2, 3, 4, 5])
    count = np.array([0, 300, 3, 6, 5, 0])  # training interactions of rows 0..5
    m = compute_metrics(ranks, targets, 5, None, count)
    b = {x["bucket"]: x for x in m["by_popularity"]}
    assert list(b) == ["0-5", "6-20", "21-50", "51-200", ">200"]
    # 0-5: targets 2 (3), 4 (5), 5 (0) -> ranks 3, 11, 25
    assert b["0-5"]["users"] == 3 and math.isclose(b["0-5"]["ndcg@10"], (1 / math.log2(4)) / 3)
    assert math.isclose(b["0-5"]["recall@10"], 1 / 3)
    assert b["6-20"]["users"] == 1 and math.isclose(b["6-20"]["ndcg@10"], 1 / math.log2(11))
    assert b[">200"]["users"] == 1 and b[">200"]["ndcg@10"] == 1.0 and b[">200"]["max"] is None
    assert b["21-50"] == {"bucket": "21-50", "min": 21, "max": 50, "users": 0, "ndcg@10": 0.0, "recall@10": 0.0}
    assert sum(x["users"] for x in m["by_popularity"]) == m["users"]
    assert "by_popularity" not in compute_metrics(ranks, targets, 5)
