"""Excel, PDF and upload checks, on files made here with openpyxl, xlwt and fpdf2."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlwt
from fpdf import FPDF

from dra.ingestion import pdfs, spreadsheets
from dra.ingestion.csv_files import FileFormatError
from dra.sources.uploads import (
    PDF_MESSAGE,
    SPREADSHEET_MESSAGE,
    UploadRejected,
    sanitise_filename,
    source_type_for,
    store_upload,
)


def make_xlsx(path: Path, *, empty_sheet: bool = True) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Sales"
    ws.append(["Day", "Amount", "Paid", "Note"])
    for i in range(1, 51):
        ws.append([datetime(2026, 1, i % 28 + 1), i * 1.5, i % 2 == 0, f"n{i}"])
    if empty_sheet:
        book.create_sheet("Empty")
    other = book.create_sheet("Stock")
    other.append(["sku", "qty"])
    other.append(["A-1", 3])
    other.append([None, None])
    other.append(["B-2", 4, "extra cell past the header"])
    book.save(path)
    return path


def make_xls(path: Path) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Old")
    for col, name in enumerate(["id", "label"]):
        sheet.write(0, col, name)
    for row in range(1, 11):
        sheet.write(row, 0, row)
        sheet.write(row, 1, f"item {row}")
    book.add_sheet("Blank")
    book.save(str(path))
    return path


def make_pdf(path: Path, *, encrypted: bool = False, text: bool = True) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    if text:
        pdf.cell(0, 10, "Quarterly report", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 8, "Sales grew in every region.\nThe north led.")
        with pdf.table() as table:
            for cells in (["region", "sales"], ["north", "120"], ["south", "80"]):
                row = table.row()
                for cell in cells:
                    row.cell(cell)
    else:
        pdf.set_fill_color(200, 30, 30)
        pdf.rect(20, 20, 80, 60, style="F")  # a picture-like page with no text
    if encrypted:
        pdf.set_encryption(owner_password="owner-pass", user_password="user-pass")
    pdf.output(str(path))
    return path


def test_xlsx_every_sheet_is_a_table_and_empty_sheets_are_noted(tmp_path):
    with spreadsheets.open_sheets(make_xlsx(tmp_path / "b.xlsx")) as (sheets, notes):
        assert [s.name for s in sheets] == ["Sales", "Stock"]
        assert notes == ["Sheet 'Empty' is empty and was skipped."]
        columns, rows = spreadsheets.typed_rows(sheets[0])
        assert [(c.name, c.pg_type) for c in columns] == [
            ("day", "timestamp"),
            ("amount", "double precision"),
            ("paid", "boolean"),
            ("note", "text"),
        ]
        assert len(list(rows)) == 50
        _cols, stock = spreadsheets.typed_rows(sheets[1])
        assert list(stock) == [["A-1", 3], ["B-2", 4]]


def test_xls_is_read_with_xlrd(tmp_path):
    with spreadsheets.open_sheets(make_xls(tmp_path / "old.xls")) as (sheets, notes):
        columns, rows = spreadsheets.typed_rows(sheets[0])
        assert [(c.name, c.pg_type) for c in columns] == [("id", "bigint"), ("label", "text")]
        assert list(rows)[0] == [1, "item 1"]
    assert notes == ["Sheet 'Blank' is empty and was skipped."]


def test_corrupt_and_all_empty_workbooks_are_refused(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError, match="not a readable Excel workbook"):
        spreadsheets.check_workbook(bad)
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(FileFormatError, match="Every sheet of this workbook is empty"):
        spreadsheets.check_workbook(empty)


def test_pdf_tables_and_text_lines(tmp_path):
    path = make_pdf(tmp_path / "r.pdf")
    tables = pdfs.extract_tables(path)
    assert len(tables) == 1
    assert tables[0].header == ["region", "sales"]
    assert tables[0].rows == [["north", "120"], ["south", "80"]]
    lines = list(pdfs.text_lines(path))
    assert lines[0] == (1, 1, "Quarterly report")
    assert pdfs.check_pdf(path) == 1


def test_encrypted_pdf_is_refused(tmp_path):
    with pytest.raises(FileFormatError, match="encrypted"):
        pdfs.check_pdf(make_pdf(tmp_path / "locked.pdf", encrypted=True))


def test_pdf_without_text_is_refused(tmp_path):
    with pytest.raises(FileFormatError, match="No text could be found"):
        pdfs.check_pdf(make_pdf(tmp_path / "scan.pdf", text=False))


def test_not_a_pdf_is_refused(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"hello, I am text")
    with pytest.raises(FileFormatError, match="not a readable PDF"):
        pdfs.check_pdf(fake)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\win.ini.csv", "win_ini.csv"),
        ("my report (final).XLSX", "my_report__final.xlsx"),
        ("....", "upload"),
        ("naïve résumé.pdf", "na_ve_r_sum.pdf"),
    ],
)
def test_filenames_are_sanitised(name, expected):
    assert sanitise_filename(name) == expected


def test_upload_types_follow_the_specification():
    assert source_type_for("a.csv") == "csv" and source_type_for("b.XLS") == "excel"
    with pytest.raises(UploadRejected) as wrong:
        source_type_for("evil.exe")
    assert str(wrong.value) == SPREADSHEET_MESSAGE
    with pytest.raises(UploadRejected) as exc:
        source_type_for("data.csv", "pdf")
    assert str(exc.value) == PDF_MESSAGE
    with pytest.raises(UploadRejected):
        source_type_for("report.pdf", "excel")


def test_store_upload_keeps_a_good_file_under_the_project_folder(tmp_path):
    stored = store_upload(io.BytesIO(b"a,b\n1,2\n"), "../../x.csv", data_dir=tmp_path, project_id=7)
    assert stored.path.parent == tmp_path / "uploads" / "p7"
    assert stored.path.name.endswith("_x.csv") and stored.size == 8
    assert stored.relative_path.startswith("uploads/p7/")


@pytest.mark.parametrize(
    "name,data",
    [
        ("bad.csv", b"a,b\n1,2,3\n"),
        ("empty.csv", b""),
        ("bad.xlsx", b"not a workbook"),
        ("bad.pdf", b"not a pdf"),
    ],
)
def test_store_upload_removes_refused_files(tmp_path, name, data):
    with pytest.raises(UploadRejected):
        store_upload(io.BytesIO(data), name, data_dir=tmp_path, project_id=1)
    assert list((tmp_path / "uploads" / "p1").iterdir()) == []


def test_store_upload_stops_past_the_size_limit(tmp_path):
    with pytest.raises(UploadRejected, match="larger than"):
        store_upload(
            io.BytesIO(b"a\n" * 2_000_000),
            "big.csv",
            data_dir=tmp_path,
            project_id=1,
            max_bytes=1024 * 1024,
        )
    assert list((tmp_path / "uploads" / "p1").iterdir()) == []
