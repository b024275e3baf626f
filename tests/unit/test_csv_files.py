import pytest

from dra.ingestion.csv_files import FileFormatError, detect_encoding, sniff


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
