"""SeqRec options: cosine score space (export parity, unit-norm items) and whole-item id dropout."""
import numpy as np
import pytest
import torch

from recmesh_model import train as T
from recmesh_model.export import check_parity, export_model, load_checkpoint
from recmesh_model.model import SeqRec
from test_e2e import tiny, tiny_args  # noqa: F401  (module fixture)


def side_model(**kw) -> SeqRec:
    torch.manual_seed(0)
    m = SeqRec(num_items=6, hidden=8, max_len=4, blocks=1, heads=2, num_categories=3, num_brands=2, **kw)
    m.set_side_info(cat_id=np.array([0, 1, 1, 2, 3, 3, 0]), brand_id=np.array([0, 1, 2, 1, 2, 0, 1]),
                    train_count=np.array([0, 50, 9, 3, 1, 0, 7]))
    return m


def test_unknown_score_is_rejected():
    with pytest.raises(ValueError, match="score must be"):
        SeqRec(num_items=3, score="euclid")


def test_id_dropout_one_leaves_side_only_in_training_and_full_vectors_in_eval():
    m = side_model(id_dropout=1.0, dropout=0.0)
    rows = torch.arange(7)
    side = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
    m.train()
    torch.testing.assert_close(m.item_vectors()[1:], side[1:])
    m.eval()
    assert not torch.allclose(m.item_vectors()[1:], side[1:])  # the gated id part is back


def test_cosine_score_space_unit_items_and_scaled_users():
    m = side_model(score="cosine", temperature=0.2).eval()
    with torch.no_grad():
        items = m.item_output(m.item_vectors())
        users = m.user_vectors(torch.tensor([[0, 1, 2, 3], [0, 0, 4, 5]]), torch.ones(2, 4, dtype=torch.long),
                               m.item_vectors())
    torch.testing.assert_close(items[1:].norm(dim=1), torch.ones(6))
    assert float(items[0].abs().sum()) == 0.0  # padding row stays zero
    torch.testing.assert_close(users.norm(dim=1), torch.full((2,), 5.0))


def test_cosine_model_trains_exports_and_matches_onnx(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    r = T.train(ds, sp, tiny_args(seed=2, epochs=2, score="cosine", temperature=0.1, id_dropout=0.3),
                tmp_path / "run")
    assert r["best_epoch"] >= 1
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint_best.pt")
    assert model.score == "cosine" and model.id_dropout == 0.3
    export_model(model, ck, tmp_path / "export", None, {})
    diffs = check_parity(model, tmp_path / "export")
    assert max(diffs.values()) <= 1e-4, diffs


def test_training_targets_look_horizon_items_ahead(tiny):  # noqa: F811
    ds, sp = tiny
    X, A, Y = T.training_arrays(ds, sp, max_len=8, horizon=3)
    assert Y.shape == X.shape + (3,)
    u = next(u for u in range(len(ds.seqs)) if 4 <= sp.train_len[u] <= 8)
    j = [v for v in range(len(ds.seqs)) if sp.train_len[v] >= 2].index(u)
    s = ds.seqs[u][: sp.train_len[u]]
    k = len(s) - 1
    assert X[j, 8 - k:].tolist() == s[:-1].tolist()
    assert Y[j, 8 - k:, 0].tolist() == s[1:].tolist()
    assert Y[j, 8 - k:, 1].tolist() == s[2:].tolist() + [0]
    assert Y[j, 8 - k:, 2].tolist() == s[3:].tolist() + [0, 0]
    X1, _, Y1 = T.training_arrays(ds, sp, max_len=8)
    assert (Y1[..., 0] == Y[..., 0]).all() and (X1 == X).all()


def test_horizon_training_learns_and_rejects_sampled_softmax(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    r = T.train(ds, sp, tiny_args(seed=4, epochs=3, horizon=3), tmp_path / "h")
    assert r["best_epoch"] >= 1 and r["best_valid_ndcg@10"] > 0
    with pytest.raises(ValueError, match="horizon"):
        T.train(ds, sp, tiny_args(horizon=2, sampled_softmax_above=1), tmp_path / "s")


def test_logit_adjustment_lowers_the_popularity_bias_of_served_scores(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    count = torch.from_numpy(sp.item_train_count[1:].astype(np.float32))

    def popularity_corr(tau: float) -> float:
        r = T.train(ds, sp, tiny_args(seed=5, epochs=6, patience=10, logit_adjust=tau), tmp_path / f"t{tau}")
        with torch.no_grad():
            mean_score = T.model_scorer(r["model"], ds, sp)(sp.eval_users, "test")[:, 1:].mean(0)
        return float(torch.corrcoef(torch.stack([mean_score, torch.log1p(count)]))[0, 1])
    assert popularity_corr(2.0) < popularity_corr(0.0)


def test_unknown_gate_is_rejected():
    with pytest.raises(ValueError, match="gate must be"):
        SeqRec(num_items=3, gate="sometimes")


def test_gate_side_ignores_training_counts_and_gate_none_adds_the_whole_id_vector():
    rows = torch.arange(7)
    for gate in ("side", "none"):
        m = side_model(gate=gate).eval()
        with torch.no_grad():
            before = m.item_vectors()
            m.log_count.mul_(3.0)  # other training counts
            torch.testing.assert_close(m.item_vectors(), before)
            if gate == "none":
                side = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
                torch.testing.assert_close(before[1:], side[1:] + m.item_emb(rows)[1:])
    m = side_model().eval()  # the default gate does follow the counts
    with torch.no_grad():
        before = m.item_vectors()
        m.log_count.mul_(3.0)
        assert not torch.allclose(m.item_vectors(), before)


def test_gate_side_model_trains_exports_and_matches_onnx(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    r = T.train(ds, sp, tiny_args(seed=1, epochs=2, gate="side"), tmp_path / "run")
    model, ck = load_checkpoint(tmp_path / "run" / "checkpoint_best.pt")
    assert r["best_epoch"] >= 1 and model.gate == "side"
    export_model(model, ck, tmp_path / "export", None, {})
    diffs = check_parity(model, tmp_path / "export")
    assert max(diffs.values()) <= 1e-4, diffs


def test_gate_shrink_weighs_the_id_vector_by_training_count():
    m = side_model(gate="shrink", shrink_k=3.0).eval()
    rows = torch.arange(7)
    with torch.no_grad():
        side = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
        g = m.gate_value(side, m.log_count).view(-1)
        n = torch.tensor([0, 50, 9, 3, 1, 0, 7], dtype=torch.float32)
        torch.testing.assert_close(g, n / (n + 3.0))
        v = m.item_vectors()
        torch.testing.assert_close(v[5], side[5])  # never seen in training: the side vector alone
        torch.testing.assert_close(v[3], side[3] + 0.5 * m.item_emb.weight[3])


def test_alignment_loss_pulls_each_id_vector_to_its_own_side_vector():
    m = side_model(dropout=0.0)
    rows = torch.arange(1, 7)

    def own_cosine():
        with torch.no_grad():
            side = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
            return float(torch.nn.functional.cosine_similarity(m.item_emb(rows), side, dim=-1).mean())
    before = own_cosine()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(50):
        loss = T.alignment_loss(m, torch.tensor([1, 2, 3]), 6, temperature=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.isfinite(loss) and own_cosine() > before + 0.5


def test_aligned_model_trains_and_records_the_option(tiny, tmp_path):  # noqa: F811
    ds, sp = tiny
    r = T.train(ds, sp, tiny_args(seed=3, epochs=2, align=0.5), tmp_path / "run")
    _, ck = load_checkpoint(tmp_path / "run" / "checkpoint_best.pt")
    assert r["best_epoch"] >= 1 and ck["args"]["align"] == 0.5


def test_attribute_mean_in_training_equals_the_exported_gather(monkeypatch):
    torch.manual_seed(0)
    m = SeqRec(num_items=5, hidden=8, max_len=4, blocks=1, heads=2, num_attrs=7, max_attrs=4)
    attrs = np.array([[0, 0, 0, 0], [1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 7], [0, 0, 0, 0], [2, 2, 1, 0]])
    m.set_side_info(attr_ids=attrs, train_count=np.zeros(6))
    rows = torch.arange(6)
    bag = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
    gather = m.side_vector(None, m.has_text[rows], m.cat_id[rows], m.brand_id[rows], m.attr_ids[rows])
    torch.testing.assert_close(bag, gather)
    torch.testing.assert_close(bag[1], m.attr_emb.weight[[1, 2]].mean(0))  # the mean of the non-zero ids
    assert torch.count_nonzero(bag[0]) == 0 and torch.count_nonzero(bag[4]) == 0  # no attributes: zero
