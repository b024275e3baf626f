"""Attribution: tracking events, channel classification, models, reports, funnels, journeys.

The models themselves run in dbt (``dbt_project/``); ``reference`` is the plain-Python
implementation the dbt marts are tested against, and ``shapley`` the data-driven model,
computed in Python from the dbt touchpoints.
"""
