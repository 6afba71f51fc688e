"""Per-line decoding: UTF-8 where valid, else GB18030, else a row-level error — never mojibake."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from eligibility.batch.encoding import MARK, LineDecoder, _valid_utf8, utf8_throughout
from eligibility.batch import read_register

ZONE = "腾格里经济技术开发区"


def _decode(data: bytes, block: int = 1 << 20) -> tuple[str, LineDecoder]:
    dec = LineDecoder(io.BytesIO(data), block_size=block)
    return dec.read().decode("utf-8"), dec


def test_utf8_passes_through_and_bom_is_dropped() -> None:
    text = f"uscc,development_zone\nX1,{ZONE}\n"
    out, dec = _decode(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert out == text and dec.gb18030_lines == 0 and dec.bad_lines == []


def test_one_gbk_line_in_a_utf8_file_and_one_utf8_line_in_a_gbk_file() -> None:
    lines = [f"uscc,development_zone\n", f"X1,{ZONE}\n", f"X2,{ZONE}\n", f"X3,{ZONE}\n"]
    mostly_utf8 = b"".join([lines[0].encode(), lines[1].encode(), lines[2].encode("gbk"), lines[3].encode()])
    mostly_gbk = b"".join([lines[0].encode("gbk"), lines[1].encode("gbk"), lines[2].encode(), lines[3].encode("gbk")])
    for data in (mostly_utf8, mostly_gbk):
        for block in (7, 1 << 20):  # lines cut across blocks too
            out, dec = _decode(data, block)
            assert out == "".join(lines), (data, block)
            assert dec.bad_lines == []
    assert _decode(mostly_utf8)[1].gb18030_lines == 1 and _decode(mostly_gbk)[1].gb18030_lines == 2  # the header is ASCII


def test_a_line_that_is_neither_is_marked_with_its_line_number() -> None:
    data = "a,b\n1,2\n".encode() + b"3,\xff\xfe\x80\n" + "4,5\n".encode()
    out, dec = _decode(data)
    assert dec.bad_lines == [3]
    assert out.splitlines()[2].startswith(MARK) and out.splitlines()[3] == "4,5"


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def test_reader_keeps_zone_names_of_a_mixed_file(tmp_path: Path) -> None:
    head = "统一社会信用代码,所在开发区,从业人员\n".encode()
    rows = [f"91530802MA6K00001{i},{ZONE},{i}\n" for i in range(6)]
    lines = [head] + [r.encode("gbk" if i == 2 else "utf-8") for i, r in enumerate(rows)]
    (_, chunk), = list(read_register(_write(tmp_path / "r.csv", lines)))
    assert chunk["development_zone"].tolist() == [ZONE] * 6


def test_reader_one_bad_line_is_one_row_error_and_the_rest_is_read(tmp_path: Path) -> None:
    head = "uscc,employees\n".encode()
    body = [f"X{i},{i}\n".encode() for i in range(1, 20_001)]
    body[12_000] = b"X12001,\xff\xff\n"   # line 12,002 of the file (record 12,001)
    chunks = list(read_register(_write(tmp_path / "r.csv", [head, *body]), chunk_size=5_000))
    frame = pd.concat([c for _, c in chunks])
    invalid = [i for _, c in chunks for i in c.attrs["invalid_rows"]]
    assert len(frame) == 19_999 and 12_001 not in frame.index
    (row, zh, en, _), = invalid
    assert row == 12_001 and "line 12002" in en and "第 12002 行" in zh


@given(st.binary(max_size=64) | st.text(max_size=32).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_a_block_is_valid_utf8_exactly_when_python_decodes_it(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert not _valid_utf8(data)
    else:
        assert _valid_utf8(data)


def test_a_file_is_utf8_throughout_exactly_when_every_line_is(tmp_path: Path) -> None:
    """The whole-file test that lets a UTF-8 file be parsed without the line decoder: blocks cut
    in the middle of a character or of a line, a byte order mark, a last line without a break."""
    text = f"\ufeffuscc,development_zone\nX1,{ZONE}\nX2,{ZONE}"
    utf8 = _write(tmp_path / "u.csv", [text.encode("utf-8")])
    for block in (1, 5, 7, 1 << 20):
        assert utf8_throughout(utf8, block)
    one_gbk = _write(tmp_path / "g.csv", [f"a,b\nX1,{ZONE}\n".encode(), f"X2,{ZONE}\n".encode("gbk")])
    bad_last = _write(tmp_path / "b.csv", [b"a,b\n1,\xff"])
    for block in (1, 5, 1 << 20):
        assert not utf8_throughout(one_gbk, block) and not utf8_throughout(bad_last, block)


def test_reader_reads_a_utf8_file_with_a_byte_order_mark_as_its_text(tmp_path: Path) -> None:
    lines = ["\ufeff统一社会信用代码,所在开发区,从业人员\n"] + [f"91530802MA6K00001{i},{ZONE},{i}\n" for i in range(3)]
    (_, chunk), = list(read_register(_write(tmp_path / "r.csv", [x.encode("utf-8") for x in lines])))
    assert chunk["uscc"].tolist() == [f"91530802MA6K00001{i}" for i in range(3)]
    assert chunk["development_zone"].tolist() == [ZONE] * 3
