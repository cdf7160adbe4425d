"""One self-contained report.html for a report folder: an experiment run or a scaling report.

It reads only what the folder already holds (the Markdown tables and their
notes, every CSV table, the PNG figures, config.yaml, run.json or the runs/
copies, models/*.pt) and writes it into one file: figures as base64 data
URIs, the style inline, no script and nothing fetched, so it opens offline
and can be sent to a colleague as it is. Every CSV is shown whole, so each
number of the folder is in the report.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from ..errors import AvspnetError
from ..markdown import row_cells
from .runinfo import background_names, read_run_json

REPORT = "report.html"
# A run's own files first, in reading order; the rest by name.
FIRST = ("table3.md", "table3.csv", "per_fold.csv", "uar_vs_fraction.png", "confusions.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROVENANCE = ("avspnet_version", "git_commit", "created_utc", "python", "libraries", "platform", "machine",
              "cpu_count", "torch_cpu_capability", "runtime", "seeds", "data_hashes", "timings_s", "folds", "network")
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 80em;
       padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #eef1f5; } td.n { text-align: right; white-space: nowrap; }
tr:nth-child(even) td { background: #f8f8f8; }
pre, code { background: #f4f4f4; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .88em; }
pre { padding: .8em; overflow-x: auto; } code { padding: 0 .2em; }
img { max-width: 100%; border: 1px solid #ddd; } figure { margin: 1em 0; }
details { margin: .6em 0; } summary { cursor: pointer; font-weight: 600; }
"""

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?( ± [\d.]+)?%?|–|nan|[+-]?[\d.]+ \[[-+\d., ]+\]")


def _inline(text: str) -> str:
    """Escaped text with the Markdown the reports use inline: **bold** and `code`."""
    return _CODE.sub(r"<code>\1</code>", _BOLD.sub(r"<strong>\1</strong>", html.escape(text)))


def markdown_html(text: str) -> str:
    """The Markdown subset the report files are written in: headings, bullet lists, pipe tables, paragraphs."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 1, 6)  # the page's own title is the only h1
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.lstrip().startswith("- "):
            items = []
            while i < len(lines) and lines[i].lstrip().startswith("- "):
                items.append(f"<li>{_inline(lines[i].lstrip()[2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        elif line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(row_cells(lines[i]))
                i += 1
            body = [row for row in block[1:] if not all(re.fullmatch(r":?-+:?", cell) for cell in row)]
            out.append(_table(block[0], body, markup=True))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith(("#", "- ", "|")):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return "\n".join(out)


def _td(value: str, markup: bool) -> str:
    number = _NUMBER.fullmatch(value.replace("**", "").strip()) is not None
    return f"<td{' class=n' if number else ''}>{_inline(value) if markup else html.escape(value)}</td>"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], markup: bool = False) -> str:
    """An HTML table; numbers (and "mean ± std" cells) are right-aligned."""
    head = "".join(f"<th>{_inline(str(name)) if markup else html.escape(str(name))}</th>" for name in header)
    body = "".join("<tr>" + "".join(_td(str(value), markup) for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def csv_html(path: Path) -> str:
    """A CSV file whole, every cell exactly as written."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        return "<p>(empty)</p>"
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AvspnetError(f"{path}: not a readable CSV table ({exc})") from None
    return _table(frame.columns, frame.itertuples(index=False))


def figure_html(path: Path) -> str:
    data = path.read_bytes()
    if not data.startswith(PNG_MAGIC):
        raise AvspnetError(f"{path}: not a PNG image")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    name = html.escape(path.name)
    return f'<figure><img alt="{name}" src="{uri}"><figcaption>{name}</figcaption></figure>'


def _value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(map(_value, value))
    return str(value)


def background_line(infos: Sequence[dict]) -> str:
    """What the front-ends were pre-trained on, named with its size, as the tables' notes name it."""
    parts = []
    for info in infos:
        names = background_names(info.get("config", {}))
        size = info.get("background") or {}
        if names == "none" or not size.get("hours"):
            parts.append(names)
            continue
        parts.append(f"{names} ({size['hours']:.2f} h, {size.get('speakers', '?')} speakers)")
    unique = list(dict.fromkeys(parts))
    if not unique or unique == ["none"]:
        return "Background speech: none (no front-end here was pre-trained on background speech)."
    return "Background speech (labels hidden, proxy labels only): " + "; ".join(unique) + "."


def models_html(folder: Path, info: dict) -> str:
    """The exported models, what they scored, and the command that runs each (from the report folder)."""
    exported = {Path(str(entry["path"])).name: (task, entry) for task, entry in (info.get("exported_models") or {}).items()
                if isinstance(entry, dict) and entry.get("path")}
    files = sorted(p.name for p in (folder / "models").glob("*.pt")) if (folder / "models").is_dir() else []
    if not exported and not files:
        return ""
    rows = []
    for name in list(dict.fromkeys([*exported, *files])):
        task, entry = exported.get(name, (Path(name).stem, {}))
        score = entry.get("cv_uar_mean")
        best, best_score = entry.get("best_frontend"), entry.get("best_cv_uar_mean")
        notes = [] if not best or best == entry.get("frontend") else [f"best overall: {best} ({100 * best_score:.1f})"]
        where = f"models/{name}"
        if name not in files:
            where = str(entry["path"])
            notes.append("the file is not in this folder")
        rows.append([task, entry.get("frontend", "?"), "–" if score is None else f"{100 * score:.1f}",
                     f"`avspnet predict {where} YOUR_AUDIO`", "; ".join(notes)])
    return ("<h2>Models</h2><p>Each task's model: a front-end with a head fitted on all labelled utterances "
            "(CV UAR: its cross-validated score at the largest label fraction). "
            "Run it from this folder on your own recordings:</p>"
            + _table(["Task", "Front-end", "CV UAR (%)", "Command", "Note"], rows, markup=True))


def provenance_html(folder: Path, infos: dict[str, dict]) -> str:
    parts = ["<h2>Provenance</h2>"]
    config = folder / "config.yaml"
    if config.is_file():
        parts.append(f"<details><summary>config.yaml</summary><pre>{html.escape(config.read_text(encoding='utf-8'))}"
                     "</pre></details>")
    for name, info in infos.items():
        facts = [(key, _value(info[key])) for key in PROVENANCE if key in info]
        if facts:
            parts.append(f"<p>{html.escape(name)}:</p>" + _table(["field", "value"], facts))
        parts.append(f"<details><summary>{html.escape(name)} (whole)</summary>"
                     f"<pre>{html.escape(json.dumps(info, indent=2))}</pre></details>")
    return "\n".join(parts) if len(parts) > 1 else ""


def _ordered(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: (FIRST.index(p.name) if p.name in FIRST else len(FIRST), p.name))


def write_report_html(out_dir: str | Path) -> Path:
    """Write `out_dir`/report.html from the folder's tables, figures, config and run records; return its path."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise AvspnetError(f"report folder not found: {folder}")
    documents = _ordered(folder.glob("*.md"))
    tables = _ordered(folder.glob("*.csv"))
    figures = _ordered(folder.glob("*.png"))
    records = [folder / "run.json"] if (folder / "run.json").is_file() else sorted((folder / "runs").glob("*.json"))
    infos = {str(path.relative_to(folder)): read_run_json(path) for path in records}
    texts = {path: path.read_text(encoding="utf-8") for path in documents}
    names = [info["config"]["name"] for info in infos.values() if isinstance(info.get("config"), dict)
             and info["config"].get("name")]
    title = f"avspnet report: {names[0] if 'run.json' in infos and names else folder.resolve().name}"
    summary = [background_line(list(infos.values()))] if infos else []
    run = infos.get("run.json", {})
    if "avspnet_version" in run:
        summary.append(f"Made by avspnet {run['avspnet_version']} on {run.get('created_utc', '?')} "
                       f"(commit {run.get('git_commit') or 'unknown'}).")
    elif infos:
        summary.append(f"Made from {len(infos)} run(s); their records are under Provenance.")
    body = [f"<h1>{html.escape(title)}</h1>", "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary) + "</ul>"]
    body += [f"<section>{markdown_html(text)}</section>" for text in texts.values()]
    if figures:
        body.append("<h2>Figures</h2>" + "".join(figure_html(path) for path in figures))
    if "run.json" in infos:
        body.append(models_html(folder, infos["run.json"]))
    if tables:
        body.append("<h2>Data tables</h2>" + "".join(
            f"<details{' open' if path.name == 'table3.csv' else ''}><summary>{html.escape(path.name)}</summary>"
            f"{csv_html(path)}</details>" for path in tables))
    body.append(provenance_html(folder, infos))
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body></html>\n")
    path = folder / REPORT
    path.write_text(page, encoding="utf-8")
    return path
