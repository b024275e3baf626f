"""AI insights that cite their numbers (UC-INS-01/02): no Flask, no Dagster.

Modules, each importing only those listed before it:

- ``facts``: facts about a data model's table computed in SQL as the project's role
  (size and freshness, quality, per measure over time: change, trend, anomalies; the
  dimension values driving the biggest changes; concentration; distribution), each with
  a stable id, its numbers, a plain sentence and the SQL that produced it;
- ``numbers``: the number check (every number an insight states must be a number of a
  fact it cites, rounded as written);
- ``narrative``: the prompt (facts and schema only, no rows), the answer's JSON schema,
  the check and the one retry for the insights that failed it; the offline insights
  (the facts' own sentences) when no provider is configured;
- ``service``: what the web layer and the pipeline call (generate for a model or a
  dashboard, list with out-of-date flags, recompute the facts after a build).
"""
