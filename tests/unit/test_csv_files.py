import pytest

from dra.ingestion.csv_files import CsvStream, FileFormatError, detect_encoding, sniff


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_types_delimiter_and_header(tmp_path):
    path = write(
        tmp_path,
        "a.csv",
        b"id;Amount;paid;when;note\n"
        b"1;2.50;true;2026-01-02T10:00:00Z;x\n"
        b"2;3;false;2026-01-03T11:00:00Z;y\n",
    )
    layout = sniff(path)
    assert layout.delimiter == ";"
    assert [(c.name, c.pg_type) for c in layout.columns] == [
        ("id", "bigint"),
        ("amount", "numeric"),
        ("paid", "boolean"),
        ("when", "timestamptz"),
        ("note", "text"),
    ]


def test_latin1_and_bom(tmp_path):
    assert sniff(write(tmp_path, "l.csv", "name\nMüller\n".encode("latin-1"))).encoding == "latin-1"
    assert sniff(write(tmp_path, "b.csv", b"\xef\xbb\xbfname\nx\n")).encoding == "utf-8-sig"
    assert detect_encoding("é".encode()) == "utf-8"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x00\x01\x02binary\x00junk", "binary"),
        (b",,,\n1,2,3\n", "column names"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, data, message):
    with pytest.raises(FileFormatError, match=message):
        sniff(write(tmp_path, "bad.csv", data))


@pytest.mark.parametrize(
    "data,message",
    [
        (b"a,b\n1,2\n3,4,5\n", "Row 3 has 3 value"),
        (b"a,b\n1,2\n3\n", "Row 3 has 1 value"),
        (b'a,b\n1,"unterminated\n2,3\n', "unbalanced quote"),
        (b'"a,b\n1,2\n', "unbalanced quote"),
        (b"id,name\n", "header row but no data rows"),
        (bytes(range(1, 32)) * 40 + b"\n", "binary"),
        (b"\xff\xfe\x00a\x00,\x00b\x00", "binary"),
    ],
)
def test_malformed_csv_is_refused_with_a_reason(tmp_path, data, message):
    with pytest.raises(FileFormatError, match=message):
        sniff(write(tmp_path, "bad.csv", data))


def test_a_10_mb_single_line_is_refused_as_a_header(tmp_path):
    path = write(tmp_path, "long.csv", b"x" * (10 * 1024 * 1024))
    with pytest.raises(FileFormatError, match="first line is longer than 256 KB"):
        sniff(path)


def test_a_10_mb_field_in_a_row_is_fine(tmp_path):
    path = write(tmp_path, "field.csv", b"id,text\n1," + b"y" * (10 * 1024 * 1024) + b"\n")
    layout = sniff(path)
    assert [c.name for c in layout.columns] == ["id", "text"]


def test_duplicate_and_empty_column_names_are_made_unique(tmp_path):
    layout = sniff(write(tmp_path, "d.csv", b"Name,name,,Total %\n1,2,3,4\n"))
    assert [c.name for c in layout.columns] == ["name", "name_2", "col_3", "total"]
    assert [c.source_name for c in layout.columns] == ["Name", "name", "", "Total %"]


def test_latin1_text_is_read_as_latin1(tmp_path):
    layout = sniff(
        write(tmp_path, "l.csv", "ville;prix\nMontréal;3,5\nZürich;4\n".encode("latin-1"))
    )
    assert layout.encoding == "latin-1" and layout.delimiter == ";"


def stream_bytes(path, encoding, chunk_size=None) -> bytes:
    kwargs = {"chunk_size": chunk_size} if chunk_size else {}
    return b"".join(CsvStream(path, encoding, **kwargs))


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n3,4\n\n",
        b"a,b\r\n1,2\r\n3,4\r\n\r\n",
        b"a,b\n1,2\n3,4\n\n\n\n",
        b"a,b\r\n1,2\r\n3,4\r\n\r\n\r\n",
        b"a,b\n1,2\n3,4\n\r\n",
    ],
)
def test_blank_lines_at_the_end_are_not_rows(tmp_path, data):
    path = write(tmp_path, "t.csv", data)
    layout = sniff(path)
    assert [c.name for c in layout.columns] == ["a", "b"]
    assert [c.pg_type for c in layout.columns] == ["bigint", "bigint"]
    streamed = stream_bytes(path, layout.encoding)
    assert streamed.replace(b"\r\n", b"\n") == b"a,b\n1,2\n3,4\n"


def test_blank_lines_in_the_middle_and_before_the_header_are_skipped(tmp_path):
    path = write(tmp_path, "m.csv", b"\n\r\na,b\n1,2\n\n\n3,4\n")
    layout = sniff(path)
    assert [c.name for c in layout.columns] == ["a", "b"]
    assert stream_bytes(path, layout.encoding) == b"a,b\n1,2\n3,4\n"


def test_a_blank_line_inside_quotes_is_data(tmp_path):
    data = b'a,b\n1,"two\n\nparagraphs"\n"say ""hi""\r\n\r\n",3\n\n'
    path = write(tmp_path, "q.csv", data)
    sniff(path)
    expected = b'a,b\n1,"two\n\nparagraphs"\n"say ""hi""\r\n\r\n",3\n'
    for size in (1, 2, 3, 5, 7, 64):  # blank lines and CRLFs cut by every chunk boundary
        assert stream_bytes(path, "utf-8", chunk_size=size) == expected, size


def test_widths_are_checked_with_the_line_number_after_blank_lines(tmp_path):
    with pytest.raises(FileFormatError, match="Row 5 has 3 value"):
        sniff(write(tmp_path, "r.csv", b"a,b\n1,2\n\n\n3,4,5\n"))


def test_copy_line_numbers_map_back_to_the_file(tmp_path):
    path = write(tmp_path, "n.csv", b"a,b\n\n1,2\n\n\n3,4\n5,6\n")
    stream = CsvStream(path, "utf-8", chunk_size=3)
    assert b"".join(stream) == b"a,b\n1,2\n3,4\n5,6\n"
    assert [stream.file_line(n) for n in (1, 2, 3, 4)] == [1, 3, 6, 7]


CP1252_TEXT = "produit;prix;note\n“Crème brûlée”;€4,50;très bon\nCafé;€2;„gut“ – ok\n"


def test_windows_1252_is_detected_and_read_as_such(tmp_path):
    path = write(tmp_path, "w.csv", CP1252_TEXT.encode("cp1252"))
    layout = sniff(path)
    assert layout.encoding == "cp1252"
    assert stream_bytes(path, layout.encoding).decode("utf-8") == CP1252_TEXT


def test_windows_1252_characters_past_the_sample_are_read_as_such(tmp_path):
    """The start holds only Latin-1 letters; a euro sign comes later: not a control char."""
    text = "ville;prix\n" + "Montréal;3\n" * 30000 + "Zürich;€4\n"
    path = write(tmp_path, "late.csv", text.encode("cp1252"))
    layout = sniff(path)
    assert layout.encoding == "latin-1"
    assert stream_bytes(path, layout.encoding).decode("utf-8") == text


def test_cyrillic_windows_1251_is_not_read_as_western(tmp_path):
    text = "имя,город\n" + "Иван,Москва\nПётр,Санкт-Петербург\n" * 20
    path = write(tmp_path, "ru.csv", text.encode("cp1251"))
    layout = sniff(path)
    assert layout.encoding == "cp1251"
    assert stream_bytes(path, layout.encoding).decode("utf-8") == text


def test_a_byte_the_detected_encoding_lacks_fails_with_its_line(tmp_path):
    text = "имя,город\n" + "Иван,Москва\n" * 30000
    path = write(tmp_path, "bad.csv", text.encode("cp1251") + b"\x98,x\n")
    assert sniff(path).encoding == "cp1251"
    with pytest.raises(FileFormatError, match=r"byte 0x98 on line 30002 is not windows-1251"):
        stream_bytes(path, "cp1251")
