"""report.html: one self-contained page per report folder, holding every table and figure of it."""

import base64
import itertools
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread
from tests.reports.test_report_gain import make_run

from avspnet.errors import AvspnetError
from avspnet.reports.confusion import plot_confusions
from avspnet.reports.gain_report import write_scaling_report
from avspnet.reports.html import markdown_html, write_report_html
from avspnet.reports.plots import plot_uar_vs_fraction
from avspnet.reports.runinfo import BackgroundFacts, RunRecord, provenance, write_run_record
from avspnet.reports.table3 import write_table3

BROWSER = Path(os.environ.get("AVSPNET_TEST_BROWSER", "/usr/bin/chromium"))
VOID = {"meta", "img", "br", "hr", "link", "input"}


class Page(HTMLParser):
    """The page's tables (rows of cell texts), images and tags, checking that every element is closed in order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self.open: list[str] = []
        self.cell: list[str] | None = None
        self.text: list[str] = []
        self.feed(text)
        self.close()
        assert not self.open, f"unclosed elements {self.open}"

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        self.urls += [value for key, value in attrs.items() if key in ("src", "href") and value]
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in VOID:
            return
        self.open.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)

    def rows(self) -> list[list[str]]:
        return [row for table in self.tables for row in table]


def fold_results() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([{"frontend": f, "task": t, "fraction": p, "fold": k, "uar": rng.uniform(0.4, 0.9),
                          "n_test": 10}
                         for f, t, p, k in itertools.product(("R", "logmel-stats"), ("arousal", "emotion4"),
                                                             (0.5, 1.0), range(3))])


@pytest.fixture
def run_folder(tmp_path) -> Path:
    """A run folder as `avspnet experiment` leaves it, made from its own writers."""
    out = tmp_path / "run"
    results = fold_results()
    classes = {"arousal": ("low", "high"), "emotion4": ("neutral", "happy", "angry", "sad")}
    write_table3(results, out, title="Table 3: demo <run> (network: custom)",
                 notes=["Background (labels hidden, proxy labels only): podcasts & talks."])
    plot_uar_vs_fraction(results, out / "uar_vs_fraction.png", classes=classes)
    plot_confusions({("R", "arousal"): np.array([[3, 1], [2, 4]]),
                     ("R", "emotion4"): np.eye(4, dtype=int) * 2}, classes, out / "confusions.png")
    config = {"name": "demo", "seed": 0, "background": [{"name": "podcasts", "manifest": "m.csv"}],
              "frontends": ["R", "logmel-stats"]}
    (out / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (out / "models").mkdir()
    (out / "models" / "arousal.pt").write_bytes(b"weights")
    record = RunRecord(config=config, network="custom", target_label="demo", background=BackgroundFacts(2.5, 12, 900),
                       **provenance(), seeds={"seed": 0}, data_hashes={"target": "abc123def4567890"},
                       timings_s={"data": 1.5, "report": 0.2}, exported_models={
        "arousal": {"path": "/staging/run/models/arousal.pt", "frontend": "logmel-stats", "cv_uar_mean": 0.71,
                    "best_frontend": "logmel-stats", "best_cv_uar_mean": 0.71},
        "emotion4": {"path": "/elsewhere/models/emotion4.pt", "frontend": "R", "cv_uar_mean": 0.4,
                     "best_frontend": "logmel-stats", "best_cv_uar_mean": 0.5}})
    write_run_record(record, out / "run.json")
    return out


def csv_rows(path: Path) -> list[list[str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [list(frame.columns)] + [list(row) for row in frame.itertuples(index=False)]


def markdown_rows(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    return [[cell.strip().replace("**", "") for cell in line.strip("|").split("|")] for line in lines
            if not set(line) <= set("|-: ")]


def assert_holds_the_folder(folder: Path, page: Page) -> None:
    """Every row of every CSV and Markdown table, every PNG byte for byte, nothing fetched from outside."""
    rows = page.rows()
    for path in [*folder.glob("*.csv"), *folder.glob("*.md")]:
        expected = csv_rows(path) if path.suffix == ".csv" else markdown_rows(path)
        assert expected and all(row in rows for row in expected), path.name
    pngs = sorted(path.read_bytes() for path in folder.glob("*.png"))
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in page.images)
    assert sorted(base64.b64decode(src[len(prefix):]) for src in page.images) == pngs
    assert not page.tags & {"script", "link", "iframe", "object", "embed"}
    assert all(url.startswith("data:") for url in page.urls)


def test_run_report_holds_every_table_figure_model_and_provenance(run_folder):
    path = write_report_html(run_folder)
    assert path == run_folder / "report.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert_holds_the_folder(run_folder, page)
    assert len(page.images) == 2 and len(csv_rows(run_folder / "per_fold.csv")) == 1 + 24
    text = " ".join(page.text)
    assert "Table 3: demo <run> (network: custom)" in text and "podcasts & talks" in text
    assert "Background speech (labels hidden, proxy labels only): podcasts (2.50 h, 12 speakers)." in text
    rows = page.rows()
    assert ["arousal", "logmel-stats", "71.0", "avspnet predict models/arousal.pt YOUR_AUDIO", ""] in rows
    assert ["emotion4", "R", "40.0", "avspnet predict /elsewhere/models/emotion4.pt YOUR_AUDIO",
            "best overall: logmel-stats (50.0); the file is not in this folder"] in rows
    assert ["data_hashes", "target: abc123def4567890"] in rows and ["timings_s", "data: 1.5, report: 0.2"] in rows
    assert any(row[0] == "avspnet_version" for row in rows) and "frontends:" in text  # config.yaml


def test_scaling_report_writes_one_too(tmp_path):
    runs = [make_run(tmp_path / "runs", f"s{h}", "ravdess", h, {} if h == 0 else {"AE": 0.01 * h}, seed=i)
            for i, h in enumerate((0, 1, 4))]
    written = write_scaling_report(runs, tmp_path / "out", n_boot=100)
    assert tmp_path / "out" / "report.html" in written
    page = Page((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert_holds_the_folder(tmp_path / "out", page)
    assert len(page.images) == 2
    assert "commonvoice-all (1.00 h, 10 speakers)" in " ".join(page.text)


def test_bad_folders_are_named(tmp_path, run_folder):
    with pytest.raises(AvspnetError, match="report folder not found"):
        write_report_html(tmp_path / "nope")
    (run_folder / "run.json").write_text("{", encoding="utf-8")
    with pytest.raises(AvspnetError, match=r"run\.json: invalid JSON"):
        write_report_html(run_folder)
    (run_folder / "run.json").write_text("{}", encoding="utf-8")
    (run_folder / "extra.png").write_bytes(b"GIF89a")
    with pytest.raises(AvspnetError, match=r"extra\.png: not a PNG image"):
        write_report_html(run_folder)


@pytest.mark.skipif(not BROWSER.exists(), reason=f"no headless browser at {BROWSER}")
def test_a_browser_renders_it_offline(run_folder, tmp_path):
    page = write_report_html(run_folder)
    shot = tmp_path / "shot.png"
    subprocess.run([str(BROWSER), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,1600",
                    f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
    pixels = imread(shot)[..., :3]
    ink = (pixels.mean(axis=2) < 0.5).mean()  # share of dark pixels: text, table rules, figures
    assert pixels.std() > 0.05 and 0.002 < ink < 0.5


def test_an_escaped_pipe_stays_in_its_cell():
    page = Page(markdown_html("| row | UAR |\n|---|---|\n| whisper-base \\| norm mean | 68.0 |\n"))
    assert page.rows() == [["row", "UAR"], ["whisper-base | norm mean", "68.0"]]
