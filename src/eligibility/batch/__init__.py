"""Enterprise registers in, scored tables out, streamed in chunks (CSV, Parquet, Excel): the batch
layer above the Engine.

- :mod:`.headers` and :mod:`.spellings`: headers and values as departments write them (Chinese
  header spellings with their units, value vocabularies, placeholders, dates, codes);
- :mod:`.encoding` and :mod:`.excel`: CSV lines decoded one by one (UTF-8, else GB 18030), and
  Excel workbooks read as they are (header row found, title/total/notes rows skipped and reported);
- :mod:`.mapping`: headers → profile fields, money units (千元, 万元, 亿元) converted exactly, headers ignored;
- :mod:`.readers`: :func:`read_register` yields ``(start_row, chunk)`` pairs with input row numbers;
- :mod:`.duplicates`: :class:`DuplicateTracker` flags repeated USCCs across the whole file;
- :mod:`.summary`: per-chunk summaries merged exactly, written as CSV or Excel;
- :mod:`.tables` and :mod:`.writers`: the long and wide tables, appended chunk by chunk to Parquet,
  CSV or Excel; :mod:`.labels`: their headers and outcome words for people (zh, en);
- :mod:`.pipeline`: :func:`score_chunks` and :func:`score_file` run the whole stream;
- :mod:`.check`: :func:`check_register`, a dry run (per column: read, unknown, refused);
- :mod:`.bundle` and :mod:`.bundle_join`: register bundles (a manifest, or a zip holding one): the
  register with department lists joined by USCC, each list's coverage saying what absence means;
- :mod:`.sources`: :func:`read_register`, the one entry point (a register file or a bundle).

    from eligibility.batch import score_file
    summary = score_file(engine, "register.parquet", "scored.parquet", date(2024, 6, 30))
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bundle import Coverage, Manifest, load_manifest
    from .bundle_join import Bundle, BundleReader, JoinReport, read_bundle
    from .check import check_register
    from .duplicates import DuplicateTracker
    from .errors import OutputTooLargeError, RegisterError, RegisterWarning
    from .formats import INPUT_SUFFIXES, OUTPUT_SUFFIXES, input_format, is_bundle, output_format
    from .labels import Labels
    from .mapping import UNITS, ColumnMapping, load_column_mapping, parse_column_mapping, scale_money
    from .pipeline import default_workers, partial_path, score_chunk, score_chunks, score_file
    from .readers import RegisterReader, count_rows
    from .sources import read_register
    from .summary import SummaryAccumulator, merge_summaries, write_summary
    from .tables import LONG_COLUMNS, LONG_SCHEMA, to_wide, wide_rule_ids, wide_schema
    from .writers import XLSX_MAX_ROWS, TableWriter, open_writer

_PARTS = {
    "bundle": ("Coverage", "Manifest", "load_manifest"),
    "bundle_join": ("Bundle", "BundleReader", "JoinReport", "read_bundle"),
    "check": ("check_register",),
    "duplicates": ("DuplicateTracker",),
    "errors": ("OutputTooLargeError", "RegisterError", "RegisterWarning"),
    "formats": ("INPUT_SUFFIXES", "OUTPUT_SUFFIXES", "input_format", "is_bundle", "output_format"),
    "labels": ("Labels",),
    "mapping": ("UNITS", "ColumnMapping", "load_column_mapping", "parse_column_mapping", "scale_money"),
    "pipeline": ("default_workers", "partial_path", "score_chunk", "score_chunks", "score_file"),
    "readers": ("RegisterReader", "count_rows"),
    "sources": ("read_register",),
    "summary": ("SummaryAccumulator", "merge_summaries", "write_summary"),
    "tables": ("LONG_COLUMNS", "LONG_SCHEMA", "to_wide", "wide_rule_ids", "wide_schema"),
    "writers": ("XLSX_MAX_ROWS", "TableWriter", "open_writer"),
}
_HOME = {name: part for part, names in _PARTS.items() for name in names}
"""The module holding each public name, imported when the name is first asked for: a run that scores
one register file never loads the bundle or check modules."""


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "INPUT_SUFFIXES", "LONG_COLUMNS", "LONG_SCHEMA", "OUTPUT_SUFFIXES", "UNITS", "XLSX_MAX_ROWS",
    "Bundle", "BundleReader", "ColumnMapping", "Coverage", "DuplicateTracker", "JoinReport", "Labels", "Manifest",
    "OutputTooLargeError", "RegisterError", "RegisterReader", "RegisterWarning", "SummaryAccumulator", "TableWriter",
    "check_register", "count_rows", "default_workers", "input_format", "is_bundle", "load_manifest", "read_bundle",
    "load_column_mapping", "merge_summaries", "open_writer", "output_format", "parse_column_mapping",
    "partial_path", "read_register", "scale_money", "score_chunk", "score_chunks", "score_file", "to_wide",
    "wide_rule_ids", "wide_schema", "write_summary",
]
