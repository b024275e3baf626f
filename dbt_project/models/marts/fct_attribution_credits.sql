-- One row per conversion x touchpoint x model; weights of a conversion sum to 1 per
-- model, attributed_value = weight x conversion value (1 when the event had none).
-- The weights are computed once per touchpoint in int_touchpoints; this view lists
-- them one row per model (a table would store each touchpoint five times for nothing).
-- The data-driven (Shapley) model is computed in Python from int_touchpoints. Rows
-- carry the options they were built with (lookback_days, conversion_types): a report
-- reads those of its own options.
{{ config(materialized='view') }}

with

touchpoints as (
    select * from {{ ref('int_touchpoints') }}
),

models as (
    select
        touchpoints.*,
        model.model_name,
        model.weight
    from touchpoints
    cross join lateral (
        values
        ('first_touch', touchpoints.w_first_touch),
        ('last_touch', touchpoints.w_last_touch),
        ('linear', touchpoints.w_linear),
        ('time_decay', touchpoints.w_time_decay),
        ('position_based', touchpoints.w_position_based)
    ) as model (model_name, weight)
),

final as (
    select
        cast(lookback_days as integer) as lookback_days,
        cast(conversion_types as text) as conversion_types,
        cast(conversion_id as bigint) as conversion_id,
        cast(touchpoint_id as bigint) as touchpoint_id,
        cast(project_id as bigint) as project_id,
        cast(user_identifier as text) as user_identifier,
        conversion_at,
        touchpoint_at,
        cast(channel as text) as channel,
        position,
        touchpoint_count,
        cast(model_name as text) as model,
        cast(weight as double precision) as weight,
        cast(weight as double precision)
        * cast(conversion_value as double precision) as attributed_value,
        cast(conversion_value as double precision) as conversion_value
    from models
)

select * from final
