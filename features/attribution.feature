Feature: Conversions attributed to the channels that brought them

  As a marketer of a small shop
  I want the website's visits and purchases tracked and credited to their channels
  So that I know which channels bring revenue.

  Background:
    Given a project with a tracking write key

  Scenario: Tracked visits and a purchase are credited to their channels
    When the website sends a batch for visitor "v1": a "cpc" visit, a "newsletter" visit and a purchase worth 40
    And the website sends the same batch again
    Then 3 events are stored with the channels "paid", "email" and none
    When an analyst asks for a "linear" attribution report of the day
    And the pipeline produces the report
    Then the report credits "paid" with 20.0 and "email" with 20.0 of 40.0

  Scenario: A batch with a bad event is refused whole
    When the website sends a batch whose second event has no event type
    Then the answer is 400 and names "eventType" of "events[1]"
    And no event is stored

  Scenario: A report for a range without events is refused
    When an analyst asks for a "linear" attribution report of a day without events
    Then the request is refused with "No event data found for the specified date range."
