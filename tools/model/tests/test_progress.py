import io

import pytest

from recmesh_model import progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_quiet_off_a_terminal_and_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert progress.interactive(Tty()) and not progress.interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress.interactive(Tty())


def test_one_line_per_phase_when_not_interactive(monkeypatch):
    monkeypatch.setenv("CI", "true")
    out, t = Tty(), iter([10.0, 12.5, 20.0, 95.0])
    with progress.phase("train", out, clock=lambda: next(t)):
        pass
    with pytest.raises(ValueError):
        with progress.phase("export", out, clock=lambda: next(t)):
            raise ValueError("x")
    assert out.getvalue() == "train: done in 2.5s\nexport: failed after 1m15s\n"
    items = [1, 2, 3]
    assert progress.steps(items, "epoch 1") is items  # no bar


def test_start_line_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out, t = Tty(), iter([0.0, 4000.0])
    with progress.phase("evaluate", out, clock=lambda: next(t)):
        pass
    assert out.getvalue() == "evaluate ...\nevaluate: done in 1h06m\n"


def test_eta_is_the_pace_so_far_capped_by_the_budget():
    assert progress.eta(2, 10, 60.0) == 240.0
    assert progress.eta(2, 10, 60.0, budget_left=100.0) == 100.0
    assert progress.eta(10, 10, 60.0) == 0.0 and progress.eta(0, 10, 0.0) is None
