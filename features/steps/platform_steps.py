from behave import given, then, when

from dra import migrate


@given("the platform database is migrated to the latest revision")
def step_migrated(context):
    assert migrate.status(context.database_url).up_to_date


def _ask_health(context, headers=None):
    from webapp import create_app

    app = create_app(context.settings, config={"TESTING": True})
    context.response = app.test_client().get("/healthz", headers=headers or {})
    context.health = context.response.get_json()
    app.extensions["dra_database"].dispose()


@when("the operator asks the web app for its health with a platform admin's API token")
def step_health(context):
    from dra.accounts.api_tokens import create_api_token
    from tests.support.factories import create_user

    with context.database.system_session() as s:
        admin = create_user(s, platform_admin=True)
        token = create_api_token(s, admin.id, "monitoring").secret
    _ask_health(context, {"Authorization": f"Bearer {token}"})


@when("an anonymous caller asks the web app for its health")
def step_health_anonymous(context):
    _ask_health(context)


@then('the answer is only "{state}"')
def step_only_status(context, state):
    assert context.health == {"status": state}, context.health


@then('the answer says the database is "{state}"')
def step_db_state(context, state):
    assert context.health["database"]["status"] == state, context.health


@then("the answer names the current schema revision")
def step_revision(context):
    assert context.health["database"]["revision"] == migrate.status(context.database_url).head
