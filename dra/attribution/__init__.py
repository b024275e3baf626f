"""Attribution: tracking events, channel classification, models, reports, funnels, journeys.

The rule-based models run in dbt (``dbt_project/``); ``reference`` is the plain-Python
implementation the dbt marts are tested against. The data-driven models (``markov``,
``shapley``) run in Python over the journeys that ``journeys`` groups in SQL.
"""
