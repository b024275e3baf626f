"""PDF files: tables found on the pages become tables; the text becomes a table of lines.

Pages are read one at a time and their caches flushed, so memory stays flat for long
documents. Encrypted PDFs are refused; a PDF without text (scanned images) too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dra.ingestion.csv_files import Column, FileFormatError
from dra.ingestion.naming import unique_names

TEXT_COLUMNS = [
    Column("page", "page", "bigint"),
    Column("line", "line", "bigint"),
    Column("text", "text", "text"),
]
ENCRYPTED = "This PDF is encrypted (password-protected): remove the protection and upload it again."
NO_TEXT = (
    "No text could be found in this PDF: it seems to hold only scanned images, which are not read."
)


@dataclass
class PdfTable:
    header: list[str]
    rows: list[list[str | None]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    @property
    def columns(self) -> list[Column]:
        return [
            Column(n, h, "text")
            for n, h in zip(unique_names(self.header), self.header, strict=True)
        ]


@contextmanager
def open_pdf(path: Path) -> Iterator[object]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise FileFormatError(ENCRYPTED) from None
    except PdfminerException as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
            raise FileFormatError(ENCRYPTED) from None
        raise FileFormatError("The file is not a readable PDF.") from None
    except (PDFSyntaxError, OSError, ValueError):
        raise FileFormatError("The file is not a readable PDF.") from None
    try:
        if getattr(pdf.doc, "encryption", None):
            raise FileFormatError(ENCRYPTED)
        yield pdf
    finally:
        pdf.close()


def text_lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(page, line, text) for every non-blank line, page by page."""
    with open_pdf(path) as pdf:
        for page in pdf.pages:
            for number, line in enumerate(
                (ln for ln in (page.extract_text() or "").splitlines() if ln.strip()), 1
            ):
                yield page.page_number, number, line
            page.flush_cache()
            page.close()


def _header(row: list[str | None], index: int) -> list[str]:
    return [(c or "").replace("\n", " ").strip() or f"column_{i}" for i, c in enumerate(row, 1)]


def extract_tables(path: Path) -> list[PdfTable]:
    """Tables on the pages; one continued over pages (same header) is one table."""
    tables: list[PdfTable] = []
    with open_pdf(path) as pdf:
        for page in pdf.pages:
            for found in page.extract_tables():
                rows = [r for r in found if any((c or "").strip() for c in r)]
                if len(rows) < 2:
                    continue
                header = _header(rows[0], len(tables))
                body = [[(c or None) for c in r] for r in rows[1:]]
                same = next((t for t in tables if t.header == header), None)
                if same is None:
                    same = PdfTable(header)
                    tables.append(same)
                width = len(header)
                same.rows.extend((r + [None] * width)[:width] for r in body)
                same.pages.append(page.page_number)
            page.flush_cache()
            page.close()
    return tables


def check_pdf(path: Path) -> int:
    """Pages of a readable PDF with text; FileFormatError (encrypted, no text, not a PDF)."""
    with open_pdf(path) as pdf:
        pages = len(pdf.pages)
        for page in pdf.pages:
            has_text = bool((page.extract_text() or "").strip())
            page.flush_cache()
            page.close()
            if has_text:
                return pages
    raise FileFormatError(NO_TEXT)
