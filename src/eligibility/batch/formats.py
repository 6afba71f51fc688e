"""The file formats a register is read from and a scored table written to, by suffix."""

from __future__ import annotations

from pathlib import Path

from .errors import RegisterError

INPUT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xlsm", ".xls")
OUTPUT_SUFFIXES = (".csv", ".parquet", ".xlsx")


def _suffix(path: Path, allowed: tuple[str, ...], what_zh: str, what_en: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise RegisterError(
            f"不支持的{what_zh}格式 '{path.suffix or path.name}'：应为 " + "、".join(allowed),
            f"unsupported {what_en} format '{path.suffix or path.name}': use " + ", ".join(allowed),
            file=str(path))
    return suffix


BUNDLE_SUFFIXES = (".yaml", ".yml", ".zip")  # a bundle: a manifest, or a zip holding one with its files


def is_bundle(path: str | Path) -> bool:
    """Whether ``path`` names a bundle (a manifest .yaml/.yml, or a .zip) rather than one register."""
    return Path(path).suffix.lower() in BUNDLE_SUFFIXES


def input_format(path: str | Path) -> str:
    """"csv", "parquet" or "xlsx" (any Excel workbook: .xlsx, .xlsm, .xls), or "bundle" (a manifest
    .yaml/.yml or a .zip) by the file's suffix; :class:`RegisterError` otherwise."""
    suffix = _suffix(Path(path), INPUT_SUFFIXES + BUNDLE_SUFFIXES, "输入文件", "input")[1:]
    if "." + suffix in BUNDLE_SUFFIXES:
        return "bundle"
    return "xlsx" if suffix in ("xlsm", "xls") else suffix


def output_format(path: str | Path) -> str:
    """"csv", "parquet" or "xlsx" by the file's suffix; :class:`RegisterError` otherwise."""
    return _suffix(Path(path), OUTPUT_SUFFIXES, "输出文件", "output")[1:]
