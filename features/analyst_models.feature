Feature: Analysts turn ingested data into checked models and dashboards

  As an analyst of a small team
  I want my data models built by the pipelines, kept in order and checked for quality
  So that the dashboards I share show current, trustworthy numbers.

  Background:
    Given the demo project is loaded and its sources are ingested

  Scenario: The demo model is built after ingestion, checked and charted
    When the pipeline reacts to the ingestion
    Then the demo data model is built with rows
    And a quality report scores the demo data model
    And every widget of the "Shop overview" dashboard shows data

  Scenario: A model reading another model is rebuilt after it
    Given the demo data model is built
    And an analyst saves a model "Revenue by country" reading the demo data model
    When the demo sources are ingested again
    Then the pipeline rebuilds the demo data model first
    And after that build it rebuilds "Revenue by country"

  Scenario: A model may not read itself through another
    Given the demo data model is built
    And an analyst saves a model "Revenue by country" reading the demo data model
    When the analyst changes the demo data model to read "Revenue by country"
    Then the change is refused with "A data model cannot read its own table, directly or through other models."
    And the demo data model is unchanged

  Scenario: A large model is profiled from a sample unless an exact check is asked for
    Given the demo data model is built
    And tables over 1 kB count as large
    When the quality check of the demo data model runs
    Then the report is "sampled" with rows and missing values counted exactly
    When an analyst asks for an exact quality check of the demo data model
    Then the report is "exact"
