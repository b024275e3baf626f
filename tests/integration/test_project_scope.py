"""Project pages take their project from the URL once per request: every blueprint under
/projects/<project_id>/ keeps the id in ``g``, fills it into its own links, and loads
the project once, after authorization, for its templates."""

from __future__ import annotations

from flask import g, url_for

from tests.support.factories import project_with_roles


def test_every_project_blueprint_is_project_scoped(app):
    scoped = {
        rule.endpoint.partition(".")[0]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/projects/<int:project_id>/")
    }
    assert {"sources", "models", "dashboards", "quality", "attribution"} <= scoped
    missing = {bp for bp in scoped if bp not in app.url_value_preprocessors}
    assert not missing, f"blueprints without the project preprocessor: {missing}"


def test_links_inside_a_project_get_its_id(app):
    with app.test_request_context("/projects/41/models"):
        app.preprocess_request()
        assert g.project_id == 41
        assert url_for("models.detail", model_id=3) == "/projects/41/models/3"
        assert url_for("dashboards.index") == "/projects/41/dashboards"
        assert url_for("projects.index") == "/projects/"  # no stray ?project_id=


def test_a_project_page_shows_the_project_it_loaded_once(login, database, app):
    with database.system_session() as s:
        roles = project_with_roles(s)
    client = login(roles.viewer)
    statements: list[str] = []
    engine = app.extensions["dra_database"].app_engine

    from sqlalchemy import event

    def count(_conn, _cursor, statement, *_args):
        if "FROM app.projects" in statement and "app.projects.id =" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(f"/projects/{roles.project_id}/sources/")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    assert len(statements) == 1, statements
