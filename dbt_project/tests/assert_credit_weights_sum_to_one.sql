-- Every conversion's weights sum to 1 under every model (returns the failures).
select
    conversion_id,
    model,
    sum(weight) as total_weight
from {{ ref('fct_attribution_credits') }}
group by conversion_id, model
having abs(sum(weight) - 1) > 1e-9
