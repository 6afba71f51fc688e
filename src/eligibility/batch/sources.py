"""The one entry point that reads a register for scoring: a register file, or a bundle (a manifest
.yaml/.yml, or a .zip holding one) whose department lists are joined to its register by USCC. The
CLI, the pipeline, the reactive feed and the service all read through :func:`read_register`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .formats import is_bundle
from .mapping import ColumnMapping
from .readers import RegisterReader

if TYPE_CHECKING:
    from .bundle_join import BundleReader


def read_register(path: str | Path, chunk_size: int = 100_000,
                  mapping: ColumnMapping | str | Path | None = None, *, strict: bool = False,
                  sheet: str | int | None = None, keep: Sequence[str] = ()) -> RegisterReader | BundleReader:
    """Stream a register (.csv, .parquet, .xlsx) as ``(start_row, chunk)`` pairs of at most
    ``chunk_size`` rows, with profile columns (``mapping`` applied: a :class:`ColumnMapping` or the
    path of a mapping file).

    ``chunk.index`` holds the input row numbers (1-based, from the first data row);
    ``chunk.attrs["invalid_rows"]`` lists CSV records that could not be split into columns as
    ``(row, reason_zh, reason_en, entity_id)``. The file is opened and its headers checked at once:
    a bad file raises :class:`RegisterError` here, not at the first chunk. ``keep``: headers (as
    written) of further columns to carry into the output as text (:func:`carried_columns`); a header
    not in the file raises :class:`RegisterError` naming it and the columns present.

    A bundle (a manifest ``.yaml``/``.yml`` or a ``.zip`` holding one) is read as its register with
    the department lists joined by USCC (:class:`~eligibility.batch.bundle_join.BundleReader`; ``keep``
    names columns of its register).

    >>> for start, chunk in read_register("examples/register.csv", chunk_size=1000):  # doctest: +SKIP
    ...     scored = score_chunk(engine, chunk, date(2024, 6, 30), tracker)  # numbers rows, adds error rows
    """
    if is_bundle(path):  # the bundle modules (manifest, join) are imported for a bundle only
        from .bundle_join import BundleReader

        return BundleReader(path, chunk_size, mapping, strict=strict, sheet=sheet, keep=keep)
    return RegisterReader(path, chunk_size, mapping, strict=strict, sheet=sheet, keep=keep)
