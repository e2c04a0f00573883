import json

import numpy as np

from recmesh_model.data import action_id, leave_one_out, load_dataset, tail_items, history


def write(tmp_path, events: str, items=None):
    (tmp_path / "events.csv").write_text(events)
    if items is not None:
        (tmp_path / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    return tmp_path


def test_action_mapping():
    assert [action_id(a) for a in ["view", "click", "add_to_cart", "remove_from_cart", "purchase", "rate"]] == [1, 2, 3, 4, 5, 6]
    assert action_id("review") == 1 and action_id(None) == 1 and action_id("PURCHASE") == 5


def test_stable_sort_ties_and_leave_one_out(tmp_path):
    # user a: file order a1(ts 5) a2(ts 1) a3(ts 5) a4(ts 3) -> by ts, ties in file order: a2, a4, a1, a3
    ev = ("user_id,item_id,ts,action\n"
          "a,i1,5,view\n" "a,i2,1,click\n" "b,i1,0,view\n" "a,i3,5,purchase\n" "a,i4,3,view\n"
          "b,i2,1,view\n"            # b has 2 interactions -> training only
          "c,i3,0,view\n" "c,i3,0,rate\n" "c,i1,0,view\n")  # all ties -> file order
    ds = load_dataset(write(tmp_path, ev, [{"item_id": "i1", "title": "one"}, {"item_id": "i2", "title": None}]))
    assert ds.item_ids == ["i1", "i2", "i3", "i4"]  # items.jsonl order, then unseen-in-metadata items
    row = {iid: i + 1 for i, iid in enumerate(ds.item_ids)}
    ua, ub, uc = ds.user_ids.index("a"), ds.user_ids.index("b"), ds.user_ids.index("c")
    assert ds.seqs[ua].tolist() == [row["i2"], row["i4"], row["i1"], row["i3"]]
    assert ds.acts[ua].tolist() == [2, 1, 1, 5]
    assert ds.seqs[uc].tolist() == [row["i3"], row["i3"], row["i1"]]
    sp = leave_one_out(ds)
    assert sorted(sp.eval_users.tolist()) == sorted([ua, uc])
    k = sp.eval_users.tolist().index(ua)
    assert sp.valid_target[k] == row["i1"] and sp.test_target[k] == row["i3"]
    assert sp.train_len[ua] == 2 and sp.train_len[ub] == 2 and sp.train_len[uc] == 1
    assert history(ds, sp, ua, "valid")[0].tolist() == [row["i2"], row["i4"]]
    assert history(ds, sp, ua, "test")[0].tolist() == [row["i2"], row["i4"], row["i1"]]
    # training counts: a: i2,i4 ; b: i1,i2 ; c: i3
    assert sp.item_train_count.tolist() == [0, 1, 2, 1, 1]


def test_gz_and_normalized_folder(tmp_path):
    import gzip
    d = tmp_path / "ds" / "normalized"
    d.mkdir(parents=True)
    with gzip.open(d / "events.csv.gz", "wt") as f:
        f.write("user_id,item_id,ts,action\nu,x,0,review\nu,y,1,review\nu,z,2,review\n")
    ds = load_dataset(tmp_path / "ds")
    assert ds.name == "ds" and ds.num_items == 3 and ds.seqs[0].tolist() == [1, 2, 3]


def test_tail_items_head_is_smallest_set_with_20_percent():
    counts = np.array([0, 50, 30, 10, 5, 5, 0])  # total 100 -> head = {row1} (50 >= 20)
    t = tail_items(counts)
    assert t.tolist() == [False, False, True, True, True, True, True]
    counts = np.array([0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10])  # 100 -> need 2 items for 20%
    assert (~tail_items(counts)[1:]).sum() == 2


def test_shop_attribute_maps_become_shared_key_value_attributes(tmp_path):
    # recmesh's export writes a shop's catalog attributes as a map; values two items share become
    # attribute ids named "key=value" (what serving looks a new item's attributes up by), singletons
    # such as an item id under `fits` teach nothing shared and are left out.
    items = [
        {"item_id": "i1", "attributes": {"color": "red", "fits": "p1"}},
        {"item_id": "i2", "attributes": {"color": "red", "size": "L"}},
        {"item_id": "i3", "attributes": {"color": "blue", "size": "L"}},
        {"item_id": "i4", "attributes": {}},
    ]
    ds = load_dataset(write(tmp_path, "user_id,item_id,ts,action\nu,i1,0,view\nu,i2,1,view\nu,i3,2,view\n", items))
    assert ds.attr_vocab == ["color=red", "size=L"] and ds.num_attrs == 2
    named = [[ds.attr_vocab[a - 1] for a in row] for row in ds.attrs]
    assert named == [["color=red"], ["color=red", "size=L"], ["size=L"], []]


def test_anonymous_attribute_ids_keep_their_numeric_order(tmp_path):
    items = [{"item_id": "i1", "attribute_ids": [10, 9]}, {"item_id": "i2", "s3rec_attribute_ids": [100]}]
    ds = load_dataset(write(tmp_path, "user_id,item_id,ts,action\nu,i1,0,view\nu,i2,1,view\n", items))
    assert ds.attr_vocab == ["9", "10", "100"]  # numeric, not text order: the committed reports' vocabulary
