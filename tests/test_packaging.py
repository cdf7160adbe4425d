"""pyproject.toml's package data matches the tree: every pattern names files that exist, every data file is named."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "avspnet"


def test_package_data_matches_the_files_under_the_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = setuptools.get("package-data", {}).get("avspnet", [])
    for pattern in patterns:
        assert list(PACKAGE.glob(pattern)), f"package-data pattern {pattern!r} matches no file under src/avspnet"
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    data = {path for path in PACKAGE.rglob("*") if path.is_file() and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts}
    assert not data - shipped, f"files a wheel would leave out (add them to package-data): {sorted(data - shipped)}"
