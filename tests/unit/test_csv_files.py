import pytest

from dra.ingestion.csv_files import FileFormatError, detect_encoding, sniff


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_types_delimiter_and_header(tmp_path):
    path = write(tmp_path, "a.csv", b"id;Amount;paid;when;note\n1;2.50;true;2026-01-02T10:00:00Z;x\n"
                                    b"2;3;false;2026-01-03T11:00:00Z;y\n")
    layout = sniff(path)
    assert layout.delimiter == ";"
    assert [(c.name, c.pg_type) for c in layout.columns] == [
        ("id", "bigint"), ("amount", "numeric"), ("paid", "boolean"), ("when", "timestamptz"),
        ("note", "text")]


def test_latin1_and_bom(tmp_path):
    assert sniff(write(tmp_path, "l.csv", "name\nMüller\n".encode("latin-1"))).encoding == "latin-1"
    assert sniff(write(tmp_path, "b.csv", b"\xef\xbb\xbfname\nx\n")).encoding == "utf-8-sig"
    assert detect_encoding("é".encode()) == "utf-8"


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\x00\x01\x02binary\x00junk", "binary"),
    (b",,,\n1,2,3\n", "column names"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, data, message):
    with pytest.raises(FileFormatError, match=message):
        sniff(write(tmp_path, "bad.csv", data))
