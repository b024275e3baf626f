"""``dra db docs`` writes Markdown from the live catalog."""

from __future__ import annotations

from dra.cli import main
from dra.migrate import head_revision


def test_dra_db_docs_documents_tables_keys_and_policies(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DRA_DATABASE_URL", database_url)
    monkeypatch.setenv("DRA_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "docs" / "schema.md"
    assert main(["db", "docs", "--output", str(out)]) == 0
    doc = out.read_text()
    assert f"schema revision `{head_revision()}`" in doc
    assert "### `app.users` (table)" in doc
    assert "| `id` | bigint | not null | generated" in doc
    assert "FOREIGN KEY (owner_id) REFERENCES app.users(id) ON DELETE CASCADE" in doc
    assert "unique `uq_projects_owner_id_name`" in doc
    assert "| `projects_select` | SELECT | dra_app | permissive |" in doc
    assert "| `dra_app` | yes | no |" in doc
    users = doc.split("### `app.users` (table)")[1].split("###")[0]
    assert "Row-level security: off." in users  # read before sign-in (see dra.models.users)
