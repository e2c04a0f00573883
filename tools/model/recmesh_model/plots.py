"""Plots of an offline evaluation report, as SVG, from its JSON files alone (no training, no dataset).

python -m recmesh_model.plots reports/model/<dataset> [...]

Writes next to the report's JSON files:
  ndcg_by_popularity.svg  NDCG@10 by the target item's popularity (training interactions), per model,
                          when the reports hold `by_popularity` (evaluations from this version on);
                          older reports: recall@10 on all / long-tail / cold targets instead
                          (recall_by_segment.svg), the popularity segments they have
  coverage_at_10.svg      share of the catalog in anyone's top 10, per model (± std over seeds)
  ndcg_at_10.svg          NDCG@10 per model (± std over seeds)
  training_curves.svg     validation NDCG@10 and training loss per epoch, per trained model and seed,
                          when the reports hold the per-epoch `curve` of each run
and refreshes the README's "Plots" section (between <!-- plots --> markers) to show them. The SVG is
written by hand (no matplotlib in the pinned venv), byte-for-byte deterministic for the same JSON.
"""
from __future__ import annotations

import argparse
import json
import math
from html import escape
from pathlib import Path

# The report order of evaluate.MODELS, and one colour per model in every plot.
MODEL_ORDER = ["most_popular", "item_knn", "transformer_side", "transformer_id"]
COLOURS = {"most_popular": "#8c8c8c", "item_knn": "#e8913a", "transformer_side": "#2f6db5", "transformer_id": "#4a9e5c"}
EXTRA_COLOURS = ["#b5452f", "#7b5ab5", "#2fa5b5", "#b52f8c"]
SEED_DASH = ["", "6,3", "2,2", "8,3,2,3"]
BEGIN, END = "<!-- plots:begin (python -m recmesh_model.plots) -->", "<!-- plots:end -->"
FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""


def f(x: float) -> str:
    """Coordinates with one decimal, no trailing zeros: stable text for the same input."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def nice_ticks(hi: float, n: int = 5) -> list[float]:
    """0 .. >= hi in steps of 1, 2 or 5 x 10^k."""
    if hi <= 0 or not math.isfinite(hi):
        return [0.0, 1.0]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks = [0.0]
    while ticks[-1] < hi - 1e-12:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def tick_label(v: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step)) + (1 if step / 10 ** math.floor(math.log10(step)) == 2.5 else 0)) if step > 0 else 0
    return f"{v:.{decimals}f}"


class Svg:
    def __init__(self, width: int, height: int):
        self.w, self.h = width, height
        self.parts: list[str] = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']

    def rect(self, x, y, w, h, fill, title: str | None = None):
        t = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{f(h)}" fill="{fill}">{t}</rect>')

    def line(self, x1, y1, x2, y2, stroke="#333333", width=1.0, dash=""):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{stroke}" stroke-width="{f(width)}"{d}/>')

    def polyline(self, pts, stroke, width=2.0, dash="", title: str | None = None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        t = f"<title>{escape(title)}</title>" if title else ""
        p = " ".join(f"{f(x)},{f(y)}" for x, y in pts)
        self.parts.append(f'<polyline points="{p}" fill="none" stroke="{stroke}" stroke-width="{f(width)}"{d}>{t}</polyline>')

    def circle(self, x, y, r, fill):
        self.parts.append(f'<circle cx="{f(x)}" cy="{f(y)}" r="{f(r)}" fill="{fill}"/>')

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#222222", rotate: float | None = None):
        rot = f' transform="rotate({f(rotate)} {f(x)} {f(y)})"' if rotate is not None else ""
        w = f' font-weight="{weight}"' if weight != "normal" else ""
        self.parts.append(f'<text x="{f(x)}" y="{f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{w}{rot}>{escape(s)}</text>')

    def render(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
                f'viewBox="0 0 {self.w} {self.h}" {FONT}>\n' + "\n".join(self.parts) + "\n</svg>\n")


def colour(name: str, i: int) -> str:
    return COLOURS.get(name, EXTRA_COLOURS[i % len(EXTRA_COLOURS)])


def legend(svg: Svg, x: float, y: float, names: list[str], colours: list[str], dashes: list[str] | None = None):
    for i, (n, c) in enumerate(zip(names, colours)):
        yy = y + 18 * i
        if dashes is None:
            svg.rect(x, yy - 9, 12, 12, c)
        else:
            svg.line(x, yy - 3, x + 22, yy - 3, c, 2.5, dashes[i])
        svg.text(x + (18 if dashes is None else 28), yy + 1, n, 12)


def axes(svg: Svg, left, top, width, height, ticks: list[float], y_label: str):
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for t in ticks:
        y = top + height - height * t / ticks[-1]
        svg.line(left, y, left + width, y, "#e3e3e3", 1)
        svg.text(left - 6, y + 4, tick_label(t, step), 11, "end", fill="#555555")
    svg.line(left, top, left, top + height, "#555555", 1)
    svg.line(left, top + height, left + width, top + height, "#555555", 1)
    svg.text(16, top + height / 2, y_label, 12, "middle", rotate=-90)


def bar_chart(title: str, groups: list[str], series: list[tuple[str, list[float | None], list[float | None] | None]],
              y_label: str, note: str = "", y_max: float | None = None) -> str:
    """Grouped bars: one group per x label (a second line after " | "), one bar per series (with an error
    bar where given). With a single group, each series is its own group, named and valued under its bar."""
    single = len(groups) == 1
    if single:
        groups = [name for name, _, _ in series]
    width = max(640, int(70 + 8.2 * len(title)), 110 + len(groups) * max(130, 30 + 26 * (1 if single else len(series))))
    height = 400
    left, top, right, bottom = 70, 48, 20 if single else 180, 86
    pw, ph = width - left - right, height - top - bottom
    values = [v + (e or 0) for _, vs, es in series for v, e in zip(vs, es or [None] * len(vs)) if v is not None]
    hi = max(values, default=1.0) * 1.05
    ticks = nice_ticks(min(hi, y_max) if y_max is not None else hi)
    svg = Svg(width, height)
    svg.text(left, 26, title, 15, weight="bold")
    axes(svg, left, top, pw, ph, ticks, y_label)
    gw = pw / max(len(groups), 1)
    per_group = 1 if single else len(series)
    bw = min(44.0 if single else 26.0, gw * 0.8 / per_group)
    for gi, g in enumerate(groups):
        x0 = left + gi * gw + (gw - bw * per_group) / 2
        for si, (name, vs, es) in enumerate(series):
            if single and si != gi:
                continue
            v = vs[0] if single else vs[gi]
            if v is None:
                continue
            e = (es[0] if single else es[gi]) if es else None
            hgt = ph * min(v, ticks[-1]) / ticks[-1]
            x, y = x0 + (0 if single else si * bw), top + ph - hgt
            svg.rect(x + 1, y, bw - 2, hgt, colour(name, si), f"{name}, {g}: {v:.4f}" + (f" ± {e:.4f}" if e else ""))
            if e:
                ylo, yhi = top + ph - ph * max(v - e, 0) / ticks[-1], top + ph - ph * min(v + e, ticks[-1]) / ticks[-1]
                cx = x + bw / 2
                svg.line(cx, ylo, cx, yhi, "#111111", 1.2)
                svg.line(cx - 4, yhi, cx + 4, yhi, "#111111", 1.2)
                svg.line(cx - 4, ylo, cx + 4, ylo, "#111111", 1.2)
            if single:
                svg.text(x + bw / 2, (yhi if e else y) - 5, f"{v:.4f}" + (f" ± {e:.4f}" if e else ""), 10, "middle", fill="#333333")
        for li, part in enumerate(g.split(" | ")):
            svg.text(left + gi * gw + gw / 2, top + ph + 18 + 15 * li, part, 12 if li == 0 else 11, "middle",
                     fill="#222222" if li == 0 else "#555555")
    if note:
        svg.text(left, height - 14, note, 11, fill="#555555")
    if not single:
        legend(svg, left + pw + 20, top + 14, [s[0] for s in series], [colour(s[0], i) for i, s in enumerate(series)])
    return svg.render()


def line_panels(title: str, panels: list[tuple[str, str]], lines: list[tuple[str, int, dict[str, list[tuple[float, float]]]]]) -> str:
    """Side-by-side line panels sharing x (epoch). lines: (model, seed index, {panel key: [(x, y)]})."""
    pw, ph, left, top, gap, right = 330, 250, 70, 66, 80, 200
    width, height = left + len(panels) * pw + (len(panels) - 1) * gap + right, top + ph + 60
    svg = Svg(width, height)
    svg.text(left, 24, title, 15, weight="bold")
    xs = [x for _, _, d in lines for pts in d.values() for x, _ in pts]
    xmax = max(xs, default=1.0)
    xticks = nice_ticks(xmax, 5)
    for pi, (key, label) in enumerate(panels):
        px = left + pi * (pw + gap)
        ys = [y for _, _, d in lines for _, y in d.get(key, [])]
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        # Losses do not start at 0: the panel spans their range (with a margin), NDCG starts at 0.
        base = 0.0 if key != "loss" else max(0.0, lo - 0.1 * (hi - lo or 1.0))
        span_ticks = nice_ticks((hi - base) * 1.05)
        step = span_ticks[1] - span_ticks[0] if len(span_ticks) > 1 else 1.0
        yscale = ph / span_ticks[-1]
        for t in span_ticks:
            y = top + ph - t * yscale
            svg.line(px, y, px + pw, y, "#e3e3e3", 1)
            svg.text(px - 6, y + 4, tick_label(base + t, step), 11, "end", fill="#555555")
        for t in xticks:
            x = px + pw * t / xticks[-1]
            svg.text(x, top + ph + 16, f"{t:g}", 11, "middle", fill="#555555")
        svg.line(px, top, px, top + ph, "#555555")
        svg.line(px, top + ph, px + pw, top + ph, "#555555")
        svg.text(px + pw / 2, top + ph + 36, "epoch", 12, "middle")
        svg.text(px + pw / 2, top - 8, label, 13, "middle", weight="bold")
        for mi, (model, seed, d) in enumerate(lines):
            pts = d.get(key, [])
            if not pts:
                continue
            scr = [(px + pw * x / xticks[-1], top + ph - (y - base) * yscale) for x, y in pts]
            c = colour(model, MODEL_ORDER.index(model) if model in MODEL_ORDER else mi)
            svg.polyline(scr, c, 2.0, SEED_DASH[seed % len(SEED_DASH)], f"{model} seed {seed}")
    names = sorted({m for m, _, _ in lines}, key=lambda m: (MODEL_ORDER.index(m) if m in MODEL_ORDER else 99, m))
    seeds = sorted({s for _, s, _ in lines})
    lx = left + len(panels) * pw + (len(panels) - 1) * gap + 24
    legend(svg, lx, top + 14, names, [colour(n, MODEL_ORDER.index(n) if n in MODEL_ORDER else 0) for n in names], [""] * len(names))
    legend(svg, lx, top + 30 + 18 * len(names), [f"seed run {s + 1}" for s in seeds], ["#444444"] * len(seeds),
           [SEED_DASH[s % len(SEED_DASH)] for s in seeds])
    return svg.render()


def load_reports(report_dir: Path) -> list[dict]:
    reps = [json.loads(p.read_text()) for p in sorted(report_dir.glob("*.json"))]
    reps = [r for r in reps if isinstance(r, dict) and "metrics" in r and "model" in r]
    return sorted(reps, key=lambda r: (MODEL_ORDER.index(r["model"]) if r["model"] in MODEL_ORDER else 99, r["model"]))


def std_of(r: dict, key: str) -> float | None:
    return r.get("metrics_std", {}).get(key) if len(r.get("seeds") or []) > 1 else None


def render(report_dir: Path) -> list[str]:
    """Writes the SVGs of one report folder; returns the README's plots section (markdown lines)."""
    reps = load_reports(report_dir)
    if not reps:
        return []
    names = [r["model"] for r in reps]
    dataset = reps[0].get("dataset", report_dir.name)
    out: list[tuple[str, str, str]] = []  # (file, alt text, caption)
    for stale in ("ndcg_by_popularity.svg", "recall_by_segment.svg", "training_curves.svg"):
        (report_dir / stale).unlink(missing_ok=True)

    bucketed = [r for r in reps if r.get("by_popularity")]
    if bucketed:
        labels = [b["bucket"] for b in bucketed[0]["by_popularity"]]
        users = {b["bucket"]: b["users"] for b in bucketed[0]["by_popularity"]}
        series = []
        for r in bucketed:
            by = {b["bucket"]: b for b in r["by_popularity"]}
            series.append((r["model"], [by.get(lb, {}).get("ndcg@10") for lb in labels],
                           [by.get(lb, {}).get("ndcg@10_std") for lb in labels] if len(r.get("seeds") or []) > 1 else None))
        groups = [f"{lb} | {users[lb]} users" for lb in labels]
        (report_dir / "ndcg_by_popularity.svg").write_text(bar_chart(
            f"{dataset}: NDCG@10 by target popularity", groups, series, "NDCG@10",
            "target item's training interactions (its users); mean over seeds ± std"))
        out.append(("ndcg_by_popularity.svg", "NDCG@10 by target popularity",
                    "NDCG@10 of the test users grouped by how many training interactions their target item has "
                    "(0-5 is the cold bucket)."))
    else:
        segs = [("recall@10", "all targets"), ("tail_recall@10", "long-tail targets"), ("cold_recall@10", "cold targets (<= 5)")]
        m0 = reps[0]["metrics"]
        groups = [f"{lb} | {m0.get(k)} users" for (_, lb), k in zip(segs, ("users", "tail_users", "cold_users"))]
        series = [(r["model"], [r["metrics"].get(k) for k, _ in segs], [std_of(r, k) for k, _ in segs]) for r in reps]
        (report_dir / "recall_by_segment.svg").write_text(bar_chart(
            f"{dataset}: recall@10 by target popularity segment", groups, series, "recall@10",
            "long tail: outside the items holding 20% of training interactions; mean over seeds ± std"))
        out.append(("recall_by_segment.svg", "recall@10 by target popularity segment",
                    "Recall@10 on all test targets, on long-tail targets and on cold targets (at most 5 training "
                    "interactions). These reports predate the per-bucket NDCG (`by_popularity`), which the next "
                    "`run_reports.sh` records and plots as NDCG@10 by popularity bucket."))

    for key, file, label in (("coverage@10", "coverage_at_10.svg", "coverage@10"), ("ndcg@10", "ndcg_at_10.svg", "NDCG@10")):
        series = [(r["model"], [r["metrics"].get(key)], [std_of(r, key)]) for r in reps]
        (report_dir / file).write_text(bar_chart(f"{dataset}: {label} per model", [label], series, label,
                                                 "mean over seeds ± std for trained models",
                                                 y_max=1.0 if key.startswith("coverage") else None))
        what = ("the share of the catalog that appears in at least one test user's top 10" if key == "coverage@10"
                else "full-ranking NDCG@10 on the leave-one-out test targets")
        out.append((file, f"{label} per model", f"{label} per model: {what}."))

    lines = []
    for r in reps:
        for i, run in enumerate(r.get("runs") or []):
            curve = run.get("curve") or []
            if curve:
                lines.append((r["model"], i, {"valid_ndcg@10": [(c["epoch"], c["valid_ndcg@10"]) for c in curve],
                                              "loss": [(c["epoch"], c["loss"]) for c in curve]}))
    if lines:
        (report_dir / "training_curves.svg").write_text(line_panels(
            f"{dataset}: training curves", [("valid_ndcg@10", "validation NDCG@10"), ("loss", "training loss")], lines))
        out.append(("training_curves.svg", "training curves",
                    "Validation NDCG@10 (early stopping picks the best epoch) and training loss per epoch, one line per seed."))

    md = [BEGIN, "## Plots", ""]
    for file, alt, caption in out:
        md += [f"![{alt}]({file})", "", caption, ""]
    if not lines and any(r.get("runs") for r in reps):
        md += ["Training curves (validation NDCG@10 and loss per epoch) are recorded in each run's `curve` by "
               "evaluations from this version on; these reports predate it (each run's `train_log.jsonl` under "
               "`tools/model/runs/` has the series of a local run).", ""]
    md += ["Regenerated from the JSON files alone (from the repository root): `PYTHONPATH=tools/model "
           f"tools/model/.venv/bin/python -m recmesh_model.plots reports/model/{report_dir.name}`.", END]
    return md


def update_readme(report_dir: Path, section: list[str]) -> None:
    """Puts the section between the markers, or before the published numbers, or at the end."""
    readme = report_dir / "README.md"
    if not readme.exists() or not section:
        return
    text = readme.read_text(encoding="utf-8")
    block = "\n".join(section)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    elif "\n## Published numbers" in text:
        head, rest = text.split("\n## Published numbers", 1)
        text = head + "\n" + block + "\n\n## Published numbers" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("report_dirs", nargs="+", help="reports/model/<dataset> folders")
    args = p.parse_args(argv)
    for d in args.report_dirs:
        d = Path(d)
        section = render(d)
        if not section:
            raise SystemExit(f"{d}: no report JSON files")
        update_readme(d, section)
        print(f"{d}: {', '.join(sorted(x.name for x in d.glob('*.svg')))}")


if __name__ == "__main__":
    main()
