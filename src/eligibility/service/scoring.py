"""The one call from the service into the batch pipeline (reading a register, scoring it in chunks,
writing the long table): a job's child process calls :func:`score_register` and nothing else, so the
pipeline's home can move without touching the service."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..engine import Engine

RECONCILIATION_KEYS = ("rows_read", "rows_scored", "rows_error", "rows_no_rule", "blank_rows", "rows_duplicate")


def check_register_name(name: str) -> None:
    """Raise the pipeline's register error when a file name's type cannot be read (a bundle is
    uploaded as one .zip: a manifest alone names files the upload does not hold)."""
    from ..batch import RegisterError, input_format

    if input_format(name) == "bundle" and not name.lower().endswith(".zip"):
        raise RegisterError("数据包请打成一个 .zip 上传（含 manifest.yaml 及其文件）",
                            "upload a bundle as one .zip (manifest.yaml and its files)", file=name)


def score_register(engine: Engine, source: Path, target: Path, as_of: date, chunk_size: int,
                   on_rows: Callable[[int], None]) -> dict[str, Any]:
    """Score the register ``source`` into the long table ``target``; returns the row reconciliation
    (rows read = scored + error + no rule in scope) and the provenance. ``on_rows`` gets rows done."""
    from ..batch import RegisterWarning, score_file, write_summary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RegisterWarning)
        summary = score_file(engine, source, target, as_of, chunk_size=chunk_size,
                             on_chunk=lambda rows, _scored: on_rows(rows))
    write_summary(summary, target.with_name("summary.csv"))
    attrs = summary.attrs
    return {"reconciliation": {k: int(attrs.get(k) or 0) for k in RECONCILIATION_KEYS},
            "provenance": {k: str(v) for k, v in engine.provenance(as_of).items()}}
