"""/admin/database: who may use it, and each action's answer to good and bad input."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select, text

from dra.migrate import head_revision
from dra.models import Alert, Backup, BackupSchedule, PipelineRequest
from dra.operations import faults

PAGE = "/admin/database/"


@pytest.fixture
def admin_client(make_user, login):
    return login(make_user(email="root@example.com", platform_admin=True))


ROUTES = [
    ("get", PAGE),
    ("post", "/admin/database/migrations/apply"),
    ("post", "/admin/database/backups"),
    ("post", "/admin/database/backups/1/restore"),
    ("post", "/admin/database/restore/upload"),
    ("post", "/admin/database/schedules"),
    ("post", "/admin/database/schedules/1"),
    ("post", "/admin/database/schedules/1/delete"),
    ("get", "/admin/database/backups/1"),
    ("get", "/admin/database/backups/1/progress"),
    ("get", "/admin/database/restores/1"),
    ("get", "/admin/database/restores/1/progress"),
    ("get", "/admin/database/backups/1/download"),
    ("post", "/admin/database/alerts/1/acknowledge"),
    ("post", "/admin/database/access"),
    ("post", "/admin/database/access/1/revoke"),
]


def test_every_route_needs_a_database_admin(app, client, make_user, login):
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/admin/database")}
    assert len(rules) == len(ROUTES)  # every route is listed here
    member = login(make_user(email="analyst@example.com"))
    for method, path in ROUTES:
        assert getattr(client, method)(path).status_code == 302, path  # to the sign-in page
        assert getattr(member, method)(path).status_code == 403, path


def test_database_admins_use_the_pages_but_cannot_grant_access(make_user, login, database):
    user = make_user(email="dba@example.com")
    with database.system_session() as s:
        s.execute(text("update app.users set is_db_admin = true where id = :i"), {"i": user.id})
    dba = login(user)
    page = dba.get(PAGE)
    assert page.status_code == 200 and b"Schema migrations" in page.data
    assert dba.post("/admin/database/access", data={"email": "x@example.com"}).status_code == 403


def test_page_shows_migration_status(admin_client):
    body = admin_client.get(PAGE).get_data(as_text=True)
    assert head_revision() in body and "up to date" in body


def test_failed_migration_is_reported_and_alerted(admin_client, database, monkeypatch):
    monkeypatch.setenv(faults.FAULT_VARIABLE, "migration")
    resp = admin_client.post("/admin/database/migrations/apply")
    assert resp.status_code == 500
    assert b"failed and was rolled back" in resp.data and b"Fault injection is active" in resp.data
    with database.system_session() as s:
        assert s.scalars(select(Alert.source)).all() == ["migration"]


def test_back_up_now_answers_202_then_409_to_api_clients(admin_client, database):
    first = admin_client.post("/admin/database/backups", headers={"Accept": "application/json"})
    assert first.status_code == 202 and first.get_json()["message"] == "Backup job queued."
    backup_id = first.get_json()["backup_id"]
    assert first.headers["Location"].endswith(f"/admin/database/backups/{backup_id}")
    second = admin_client.post("/admin/database/backups", headers={"Accept": "application/json"})
    assert second.status_code == 409 and "already in progress" in second.get_json()["message"]
    progress = admin_client.get(f"/admin/database/backups/{backup_id}/progress").get_json()
    assert (progress["status"], progress["phase"]) == ("queued", "queued")
    with database.system_session() as s:
        assert s.scalars(select(PipelineRequest.kind)).all() == ["backup"]


def _counts(database) -> tuple[int, int]:
    with database.system_session() as s:
        return (
            s.scalar(select(func.count()).select_from(Backup)),
            s.scalar(select(func.count()).select_from(PipelineRequest)),
        )


def test_back_up_now_posts_once_then_shows_its_own_progress_page(admin_client, database):
    resp = admin_client.post("/admin/database/backups", follow_redirects=True)
    assert resp.status_code == 200 and len(resp.history) == 1
    assert resp.history[0].status_code == 303
    with database.system_session() as s:
        backup_id = s.scalar(select(Backup.id))
    page = f"/admin/database/backups/{backup_id}"
    assert resp.request.path == page
    body = resp.get_data(as_text=True)
    assert "Backup job queued." in body and 'http-equiv="refresh"' not in body
    assert f'data-progress-url="{page}/progress"' in body and "js/dbadmin.js" in body
    for _ in range(3):  # the browser's refresh repeats the GET, never the POST
        assert admin_client.get(page).status_code == 200
    assert _counts(database) == (1, 1)
    again = admin_client.post("/admin/database/backups")  # the form sent a second time
    assert again.status_code == 303 and again.headers["Location"].endswith(page)
    assert "already in progress" in admin_client.get(page).get_data(as_text=True)
    assert _counts(database) == (1, 1)
    index = admin_client.get(PAGE).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in index and f'href="{page}"' in index


def test_a_missing_backup_page_is_404(admin_client):
    assert admin_client.get("/admin/database/backups/999999").status_code == 404
    assert admin_client.get("/admin/database/backups/999999/progress").status_code == 404
    assert admin_client.get("/admin/database/restores/999999").status_code == 404
    assert admin_client.post("/admin/database/schedules/999999/delete").status_code == 404
    assert admin_client.post("/admin/database/alerts/999999/acknowledge").status_code == 404


def test_restore_needs_confirmation_and_waits_for_running_backup(admin_client, database):
    with database.system_session() as s:
        done = Backup(file_name="dra-backup-20260101T000000Z.zip", status="succeeded")
        s.add(done)
        s.flush()
        done_id = done.id
    path = f"/admin/database/backups/{done_id}/restore"
    unconfirmed = "Type RESTORE in the confirmation field: restoring replaces the whole database."
    refused = admin_client.post(path, data={"confirm": "yes"})
    assert refused.status_code == 400 and unconfirmed in refused.get_data(as_text=True)
    upload = admin_client.post(
        "/admin/database/restore/upload",
        data={"archive": (io.BytesIO(b"PK"), "backup.zip")},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert (upload.status_code, upload.get_json()) == (400, {"message": unconfirmed})
    assert _counts(database) == (1, 0)
    queued = admin_client.post("/admin/database/backups")
    busy = admin_client.post(path, data={"confirm": "RESTORE"})
    assert busy.status_code == 303 and busy.headers["Location"] == queued.headers["Location"]
    assert b"already in progress" in admin_client.get(busy.headers["Location"]).data
    api = admin_client.post(
        path, data={"confirm": "RESTORE"}, headers={"Accept": "application/json"}
    )
    assert api.status_code == 409
    assert _counts(database) == (2, 1)


def test_restore_posts_once_then_shows_its_own_progress_page(admin_client, database):
    with database.system_session() as s:
        done = Backup(file_name="dra-backup-20260101T000000Z.zip", status="succeeded")
        s.add(done)
        s.flush()
        done_id = done.id
    path = f"/admin/database/backups/{done_id}/restore"
    resp = admin_client.post(path, data={"confirm": "RESTORE"}, follow_redirects=True)
    assert resp.status_code == 200 and [r.status_code for r in resp.history] == [303]
    with database.system_session() as s:
        request_id = s.scalar(select(PipelineRequest.id).where(PipelineRequest.kind == "restore"))
    page = f"/admin/database/restores/{request_id}"
    assert resp.request.path == page
    body = resp.get_data(as_text=True)
    assert "Restore job queued." in body and f'data-progress-url="{page}/progress"' in body
    progress = admin_client.get(f"{page}/progress").get_json()
    assert (progress["status"], progress["backup_id"]) == ("queued", done_id)
    again = admin_client.post(path, data={"confirm": "RESTORE"})
    assert again.status_code == 303 and again.headers["Location"].endswith(page)
    assert _counts(database) == (1, 1)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not a zip at all", b"not a readable ZIP"),
        (_zip({"database.dump": b"PGDMP"}), b"metadata.json missing"),
        (_zip({"metadata.json": b"{}", "database.dump": b"x", "../../x": b"x"}), b"unsafe path"),
    ],
)
def test_bad_uploads_are_refused_and_not_kept(admin_client, settings, database, payload, message):
    resp = admin_client.post(
        "/admin/database/restore/upload",
        data={"archive": (io.BytesIO(payload), "backup.zip"), "confirm": "RESTORE"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and message in resp.data
    assert not settings.backup_dir.exists() or not list(settings.backup_dir.glob("*.zip*"))
    with database.system_session() as s:
        assert s.scalars(select(PipelineRequest)).all() == []


def test_upload_over_the_size_limit_is_413(app, admin_client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = admin_client.post(
        "/admin/database/restore/upload",
        data={"archive": (io.BytesIO(b"x" * 4096), "big.zip"), "confirm": "RESTORE"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413


def test_good_upload_is_validated_then_queued(admin_client, database, settings, tmp_path):
    from dra.operations.backups import write_archive

    archive = tmp_path / "mine.zip"
    write_archive(database.url, archive)
    resp = admin_client.post(
        "/admin/database/restore/upload",
        data={"archive": (archive.open("rb"), "mine.zip"), "confirm": "RESTORE"},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 202, resp.data
    with database.system_session() as s:
        backup = s.get(Backup, resp.get_json()["backup_id"])
        assert backup.kind == "uploaded" and (settings.backup_dir / backup.file_name).is_file()
        assert s.scalars(select(PipelineRequest.kind)).all() == ["restore"]


def _files_in(folder) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _upload(client, path):
    with path.open("rb") as fh:
        return client.post(
            "/admin/database/restore/upload",
            data={"archive": (fh, path.name), "confirm": "RESTORE"},
            content_type="multipart/form-data",
        )


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """A well-formed backup whose 300 MB dump of zeros is compressed to under 1 MB."""
    import hashlib
    import json

    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    digest, chunk = hashlib.sha256(), bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("database.dump", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(chunk)
                digest.update(chunk)
        metadata = {
            "format": "dra-backup/1",
            "application": "dra",
            "alembic_revision": head_revision(),
            "tables": {},
            "dump": {"file": "database.dump", "sha256": digest.hexdigest()},
        }
        zf.writestr("metadata.json", json.dumps(metadata))
    assert path.stat().st_size < 1024 * 1024
    return path


def test_zip_bomb_upload_is_refused_before_inflating(admin_client, settings, database, zip_bomb):
    resp = _upload(admin_client, zip_bomb)
    assert resp.status_code == 400, resp.status_code
    body = resp.get_data(as_text=True)
    assert "The archive cannot be restored" in body and "ZIP bomb" in body
    assert _files_in(settings.backup_dir) == []  # nothing written, nothing left
    with database.system_session() as s:
        assert s.scalars(select(Backup)).all() == []
        assert s.scalars(select(PipelineRequest)).all() == []


def test_upload_of_another_databases_dump_is_refused_at_once(
    admin_client, settings, database, pg_cluster, tmp_path
):
    import hashlib
    import json
    import subprocess

    from sqlalchemy import create_engine

    from dra.operations.backups import write_archive
    from dra.operations.pgtools import libpq_connection, matching_tool

    other = pg_cluster.create_database()
    try:
        engine = create_engine(other)
        with engine.begin() as conn:
            conn.execute(text("create table public.orders (id int primary key)"))
        engine.dispose()
        conn = libpq_connection(other)
        dump = subprocess.run(
            [str(matching_tool("pg_dump", other)), "--format=custom", f"--dbname={conn.url}"],
            env=conn.env,
            capture_output=True,
            check=True,
        ).stdout
    finally:
        pg_cluster.drop_database(other.rsplit("/", 1)[1].split("?")[0])
    mine = tmp_path / "mine.zip"
    write_archive(database.url, mine)
    with zipfile.ZipFile(mine) as zf:
        metadata = json.loads(zf.read("metadata.json"))
    metadata["dump"]["sha256"] = hashlib.sha256(dump).hexdigest()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("database.dump", dump)
    resp = _upload(admin_client, forged)
    assert resp.status_code == 400, resp.status_code
    assert "dump from another application" in resp.get_data(as_text=True)
    assert _files_in(settings.backup_dir) == []
    with database.system_session() as s:
        assert s.scalars(select(PipelineRequest)).all() == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"cron": "every night", "retention_count": "7"}, "cron"),
        ({"cron": "61 * * * *", "retention_count": "7"}, "cron"),
        ({"cron": "0 2 * * *", "retention_count": "0"}, "retention_count"),
        ({"cron": "0 2 * * *", "retention_count": "seven"}, "retention_count"),
    ],
)
def test_invalid_schedule_is_422(admin_client, database, form, field):
    resp = admin_client.post(
        "/admin/database/schedules",
        data={"name": "n", **form},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 422 and resp.get_json()["field"] == field
    html = admin_client.post("/admin/database/schedules", data={"name": "n", **form})
    assert html.status_code == 422 and b'aria-invalid="true"' in html.data
    with database.system_session() as s:
        assert s.scalars(select(BackupSchedule)).all() == []


def test_schedule_is_saved_with_its_next_run(admin_client, database):
    resp = admin_client.post(
        "/admin/database/schedules",
        data={"name": "nightly", "cron": "0 2 * * *", "retention_count": "5", "enabled": "on"},
    )
    assert resp.status_code == 303
    with database.system_session() as s:
        schedule = s.scalars(select(BackupSchedule)).one()
        assert (schedule.cron, schedule.retention_count, schedule.enabled) == ("0 2 * * *", 5, True)
        assert (schedule.next_run_at.hour, schedule.next_run_at.minute) == (2, 0)


def test_grant_and_revoke_database_admin_access(admin_client, make_user, database):
    user = make_user(email="maint@example.com")
    resp = admin_client.post(
        "/admin/database/access", data={"email": "MAINT@example.com", "login_role": "on"}
    )
    role = f"dra_dbadmin_{user.id}"
    try:
        assert resp.status_code == 200 and b"data-password=" in resp.data
        with database.system_session() as s:
            assert s.execute(
                text("select pg_has_role(:r, 'dra_owner', 'MEMBER')"), {"r": role}
            ).scalar()
        resp = admin_client.post(f"/admin/database/access/{user.id}/revoke")
        assert resp.status_code == 303
        with database.system_session() as s:
            assert (
                s.execute(
                    text("select count(*) from pg_roles where rolname = :r"), {"r": role}
                ).scalar()
                == 0
            )
            assert not s.execute(
                text("select is_db_admin from app.users where id = :i"), {"i": user.id}
            ).scalar()
    finally:
        with database.system_session() as s:
            s.execute(text(f'drop role if exists "{role}"'))


def test_grant_to_unknown_email_is_422(admin_client):
    resp = admin_client.post("/admin/database/access", data={"email": "nobody@example.com"})
    assert resp.status_code == 422 and b"No user has this email" in resp.data
