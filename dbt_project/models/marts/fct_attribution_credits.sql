-- One row per conversion x touchpoint x model; weights of a conversion sum to 1 per
-- model, attributed_value = weight x conversion value (1 when the event had none).
-- The data-driven (Shapley) model is computed in Python from int_touchpoints.
{{ config(pre_hook="set local work_mem = '256MB'") }}

with

touchpoints as (
    select * from {{ ref('int_touchpoints') }}
),

decay as (
    select
        *,
        power(
            cast(2 as double precision),
            -hours_before / cast({{ var('time_decay_half_life_hours') }} as double precision)
        ) as decay_raw
    from touchpoints
),

weighted as (
    select
        *,
        case when position = 1 then 1.0 else 0.0 end::float8 as w_first_touch,
        case when position = touchpoint_count then 1.0 else 0.0 end::float8 as w_last_touch,
        1.0::float8 / touchpoint_count as w_linear,
        decay_raw / sum(decay_raw) over (partition by conversion_id) as w_time_decay,
        case
            when touchpoint_count = 1 then 1.0::float8
            when touchpoint_count = 2 then 0.5::float8
            when position in (1, touchpoint_count) then 0.4::float8
            else 0.2::float8 / (touchpoint_count - 2)
        end as w_position_based
    from decay
),

models as (
    select
        weighted.*,
        model.model_name,
        case model.model_name
            when 'first_touch' then w_first_touch
            when 'last_touch' then w_last_touch
            when 'linear' then w_linear
            when 'time_decay' then w_time_decay
            when 'position_based' then w_position_based
        end as weight
    from weighted
    cross join (
        values ('first_touch'), ('last_touch'), ('linear'), ('time_decay'), ('position_based')
    ) as model (model_name)
),

final as (
    select
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
