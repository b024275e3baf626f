Feature: The platform reports its own health

  As an operator
  I want one address that tells whether the database and pipelines are reachable
  So that monitoring can tell a healthy install from a broken one

  Scenario: A freshly migrated platform is healthy
    Given the platform database is migrated to the latest revision
    When the operator asks the web app for its health with a platform admin's API token
    Then the answer says the database is "ok"
    And the answer names the current schema revision

  Scenario: Anyone else is told only whether the platform is up
    Given the platform database is migrated to the latest revision
    When an anonymous caller asks the web app for its health
    Then the answer is only "ok"
