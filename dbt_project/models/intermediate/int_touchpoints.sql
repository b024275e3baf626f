-- Each conversion's touchpoints: the same user's other, non-conversion events of the
-- same project in [conversion - lookback, conversion], numbered by (time, event id).
-- Incremental by (options, project, month of the conversion): only the partitions whose
-- events changed since these options' last build are deleted and rebuilt (macros/
-- attribution_partitions.sql); var project_ids limits a build to some projects.
-- work_mem: enough for the conversions' hash table, not for the events': the planner
-- then always hashes the conversions and streams the events past them. With room for
-- both, it hashes the million events whenever ANALYZE's sample makes the visitors look
-- skewed, and the build takes twice as long.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    indexes=[
        {'columns': ['project_id', 'lookback_days', 'conversion_types', 'conversion_month']},
    ],
    pre_hook=[
        "set local work_mem = '16MB'",
        "{{ analyze_events_if_never_analyzed() }}",
        "{{ touchpoints_pre_hook() }}",
    ],
    post_hook=["{{ touchpoints_post_hook() }}"],
) }}

with

conversions as (
    select
        event_id as conversion_id,
        project_id,
        user_identifier,
        occurred_at as conversion_at,
        coalesce(event_value, cast(1 as double precision)) as conversion_value,
        {{ utc_month('occurred_at') }} as conversion_month
    from {{ ref('stg_attribution_events') }}
    where
        event_type in {{ conversion_types() }}
        and {{ attribution_scope() }}
        {%- if is_incremental() %}
        and (project_id, {{ utc_month('occurred_at') }}) in (
            select project_id, conversion_month from int_touchpoints_rebuild
        )
        {%- endif %}
),

candidates as (
    select
        event_id,
        project_id,
        user_identifier,
        occurred_at,
        channel
    from {{ ref('stg_attribution_events') }}
    where
        event_type not in {{ conversion_types() }}
        and {{ attribution_scope() }}
        {%- if is_incremental() %}
        and project_id in (select project_id from int_touchpoints_rebuild)
        and occurred_at >= (
            select min(conversion_month) - make_interval(days => {{ lookback_days() }})
            from int_touchpoints_rebuild
        )
        and occurred_at < (
            select max(conversion_month) + interval '1 month' from int_touchpoints_rebuild
        )
        {%- endif %}
),

joined as (
    select
        conversions.conversion_id,
        conversions.project_id,
        conversions.user_identifier,
        conversions.conversion_at,
        conversions.conversion_value,
        conversions.conversion_month,
        candidates.event_id as touchpoint_id,
        candidates.occurred_at as touchpoint_at,
        candidates.channel
    from conversions
    inner join candidates
        on
            candidates.project_id = conversions.project_id
            and candidates.user_identifier = conversions.user_identifier
            and candidates.occurred_at <= conversions.conversion_at
            and candidates.occurred_at
            >= conversions.conversion_at - make_interval(days => {{ lookback_days() }})
),

numbered as (
    select
        conversion_id,
        project_id,
        user_identifier,
        conversion_at,
        conversion_value,
        conversion_month,
        touchpoint_id,
        touchpoint_at,
        channel,
        cast(extract(epoch from conversion_at - touchpoint_at) as double precision)
        / cast(3600 as double precision) as hours_before
    from joined
),

-- Each attribution model's weight of the touchpoint (the weights of a conversion sum
-- to 1 per model), computed here, in the pass that numbers the touchpoints; the mart
-- fct_attribution_credits lists them one row per model.
decay as (
    select
        *,
        power(
            cast(2 as double precision),
            -hours_before / cast({{ var('time_decay_half_life_hours') }} as double precision)
        ) as decay_raw
    from numbered
),

-- one window (one sort, one pass) for the position, the count and the decay total
positioned as (
    select
        *,
        cast(row_number() over conversion_rows as integer) as position,
        cast(count(*) over conversion_rows as integer) as touchpoint_count,
        sum(decay_raw) over conversion_rows as decay_total
    from decay
    window conversion_rows as (
        partition by conversion_id
        order by touchpoint_at, touchpoint_id
        rows between unbounded preceding and unbounded following
    )
),

weighted as (
    select
        {{ lookback_days() }} as lookback_days,
        cast({{ conversion_types_key() }} as text) as conversion_types,
        conversion_month,
        conversion_id,
        project_id,
        user_identifier,
        conversion_at,
        conversion_value,
        touchpoint_id,
        touchpoint_at,
        channel,
        position,
        touchpoint_count,
        hours_before,
        case when position = 1 then 1.0 else 0.0 end::float8 as w_first_touch,
        case when position = touchpoint_count then 1.0 else 0.0 end::float8 as w_last_touch,
        1.0::float8 / touchpoint_count as w_linear,
        decay_raw / decay_total as w_time_decay,
        case
            when touchpoint_count = 1 then 1.0::float8
            when touchpoint_count = 2 then 0.5::float8
            when position in (1, touchpoint_count) then 0.4::float8
            else 0.2::float8 / (touchpoint_count - 2)
        end as w_position_based,
        now() as built_at
    from positioned
)

select * from weighted
