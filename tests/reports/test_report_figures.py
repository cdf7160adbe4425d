import numpy as np
import pandas as pd
import pytest

import avspnet.reports.confusion as confusion
from avspnet.errors import AvspnetError
from avspnet.evaluation import get_task
from avspnet.reports import plot_confusions, plot_uar_vs_fraction

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_uar_plot_is_a_png(tmp_path):
    rng = np.random.default_rng(0)
    rows = [dict(frontend=f, task=t, fraction=fr, fold=k, uar=rng.uniform(0.3, 0.8), n_test=20)
            for f in ["R", "AE", "AV-SpNET_a"] for t in ["arousal", "valence", "emotion4"]
            for fr in [0.25, 0.5, 0.75, 1.0] for k in range(3)]
    path = plot_uar_vs_fraction(pd.DataFrame(rows), tmp_path / "plots" / "uar.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_confusion_grid_is_a_png_and_checks_shapes(tmp_path):
    names = {task: list(get_task(task).classes) for task in ("arousal", "valence", "emotion4")}
    confusions = {
        ("R", "arousal"): np.array([[5, 3], [2, 7]]),
        ("R", "emotion4"): np.arange(16).reshape(4, 4),
        ("AV", "arousal"): np.array([[0, 0], [1, 9]]),
    }
    path = plot_confusions(confusions, names, tmp_path / "confusions.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(AvspnetError, match="AV / arousal matrix is"):
        plot_confusions({("AV", "arousal"): np.ones((3, 3))}, names, tmp_path / "bad.png")
    with pytest.raises(AvspnetError, match="no class names"):
        plot_confusions({("AV", "dominance"): np.ones((2, 2))}, names, tmp_path / "bad.png")


def test_one_panel_confusion_keeps_its_caption_inside(tmp_path, monkeypatch):
    """A run with one front-end and one task: the caption above the grid must not be cut at the edges."""
    figures = []
    saved = confusion.save_png
    monkeypatch.setattr(confusion, "save_png", lambda figure, path: figures.append(figure) or saved(figure, path))
    plot_confusions({("R", "arousal"): np.array([[5, 3], [2, 7]])}, {"arousal": ["low", "high"]}, tmp_path / "c.png")
    figure = figures[0]
    renderer = figure.canvas.get_renderer()
    box = figure._suptitle.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width


def test_plot_with_a_rating_task_is_a_png(tmp_path):
    rows = [dict(frontend=f, task=t, fraction=fr, fold=k, n_test=20,
                 **({"ccc": 0.1 * k} if t.endswith("_rating") else {"uar": 0.5 + 0.1 * k}))
            for f in ["R", "AE"] for t in ["arousal", "valence_rating"] for fr in [0.5, 1.0] for k in range(3)]
    path = plot_uar_vs_fraction(pd.DataFrame(rows), tmp_path / "mixed.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
