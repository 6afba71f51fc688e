"""Text files whose encoding changes from line to line, decided per line: UTF-8 where the line is
valid UTF-8, else GB 18030 (a superset of GBK), else the line cannot be read.

Registers are often assembled from several exports: a UTF-8 file with a few rows pasted from a GBK
one, or the other way round. Guessing one encoding for the whole file turns the minority lines into
mojibake without a word (a UTF-8 line decodes "successfully" as GB 18030). :class:`LineDecoder` is a
binary file object that yields the same text as UTF-8, line by line; a line that is neither UTF-8
nor GB 18030 is kept (its undecodable bytes replaced) and marked with :data:`MARK` at its start, so
that the reader can turn its record into a row-level error at its own row number. Blocks that are
valid UTF-8 as a whole (the common case) pass through without being split into lines.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO

import pyarrow as pa

__all__ = ["MARK", "LineDecoder", "utf8_throughout"]

#: prefixed to a line that could not be decoded (a private-use character no register contains)
MARK = "\ue000"
_MARK_BYTES = MARK.encode("utf-8")


def _valid_utf8(data: bytes | memoryview) -> bool:
    """Is ``data`` valid UTF-8? Tested in Arrow, without decoding it into a Python string (several
    times faster on a block of Chinese text)."""
    offsets = pa.array([0, len(data)], pa.int32()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def utf8_throughout(path: str | os.PathLike[str], block_size: int = 1 << 20) -> bool:
    """Is the whole file valid UTF-8 (a byte order mark allowed)? Then every line of it is, and the
    file can be parsed as it is, without a :class:`LineDecoder` between it and the parser (which
    costs a third of the parse). Tested in Arrow block by block, each block cut after its last line
    break so that no character is split."""
    with open(path, "rb") as f:
        carry = b""
        while block := f.read(block_size):
            data = carry + block if carry else block
            cut = data.rfind(b"\n") + 1
            if not _valid_utf8(memoryview(data)[:cut]):
                return False
            carry = data[cut:]
        return _valid_utf8(carry)


class LineDecoder(io.RawIOBase):
    """A readable binary stream: ``raw`` re-encoded as UTF-8, each line decoded on its own.

    Attributes: ``gb18030_lines`` (lines read as GB 18030), ``bad_lines`` (1-based line numbers of
    lines that could not be decoded) and ``bytes_read`` (of ``raw``).
    """

    def __init__(self, raw: BinaryIO, block_size: int = 1 << 20) -> None:
        super().__init__()
        self.raw = raw
        self.block_size = block_size
        self.gb18030_lines = 0
        self.bad_lines: list[int] = []
        self.bytes_read = 0
        self._line = 0           # lines handed out so far
        self._carry = b""        # an incomplete last line of the previous block
        self._out = b""          # converted bytes not yet read
        self._eof = False
        self._first = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._out and not self._eof:
            self._fill()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _fill(self) -> None:
        block = self.raw.read(self.block_size)
        self.bytes_read += len(block)
        if not block:
            self._eof = True
            data, self._carry = self._carry, b""
        else:
            data = self._carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                self._carry = data
                return
            data, self._carry = data[:cut], data[cut:]
        if self._first:
            self._first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if not data:
            return
        if _valid_utf8(data):
            self._line += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            self._out = data
        else:
            self._out = self._lines(data)

    def _lines(self, data: bytes) -> bytes:
        out = []
        for line in data.splitlines(keepends=True):
            self._line += 1
            try:
                line.decode("utf-8")
                out.append(line)
                continue
            except UnicodeDecodeError:
                pass
            try:
                out.append(line.decode("gb18030").encode("utf-8"))
                self.gb18030_lines += 1
            except UnicodeDecodeError:
                self.bad_lines.append(self._line)
                out.append(_MARK_BYTES + line.decode("utf-8", errors="replace").encode("utf-8"))
        return b"".join(out)

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()
