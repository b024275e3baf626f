from behave import given, then, when

from dra import migrate


@given("the platform database is migrated to the latest revision")
def step_migrated(context):
    assert migrate.status(context.database_url).up_to_date


@when("the operator asks the web app for its health")
def step_health(context):
    from webapp import create_app

    app = create_app(context.settings, config={"TESTING": True})
    context.response = app.test_client().get("/healthz")
    context.health = context.response.get_json()
    app.extensions["dra_database"].dispose()


@then('the answer says the database is "{state}"')
def step_db_state(context, state):
    assert context.health["database"]["status"] == state, context.health


@then("the answer names the current schema revision")
def step_revision(context):
    assert context.health["database"]["revision"] == migrate.status(context.database_url).head
