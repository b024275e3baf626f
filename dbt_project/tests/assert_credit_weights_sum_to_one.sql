-- Every conversion's weights lie in [0, 1] and sum to 1 under every model, for each
-- options built (returns the failures; the projects of the build only, var project_ids).
select
    lookback_days,
    conversion_types,
    conversion_id,
    model,
    sum(weight) as total_weight,
    min(weight) as lowest,
    max(weight) as highest
from {{ ref('fct_attribution_credits') }}
where {{ attribution_scope() }}
group by lookback_days, conversion_types, conversion_id, model
having abs(sum(weight) - 1) > 1e-9 or min(weight) < 0 or max(weight) > 1
