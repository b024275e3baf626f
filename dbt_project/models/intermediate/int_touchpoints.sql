-- Each conversion's touchpoints: the same user's other, non-conversion events of the
-- same project in [conversion - lookback, conversion], numbered by (time, event id).
{{ config(pre_hook="set local work_mem = '256MB'") }}

with

conversions as (
    select
        event_id as conversion_id,
        project_id,
        user_identifier,
        occurred_at as conversion_at,
        coalesce(event_value, cast(1 as double precision)) as conversion_value
    from {{ ref('stg_attribution_events') }}
    where event_type in {{ conversion_types() }}
),

candidates as (
    select
        event_id,
        project_id,
        user_identifier,
        occurred_at,
        channel
    from {{ ref('stg_attribution_events') }}
    where event_type not in {{ conversion_types() }}
),

joined as (
    select
        conversions.conversion_id,
        conversions.project_id,
        conversions.user_identifier,
        conversions.conversion_at,
        conversions.conversion_value,
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
            >= conversions.conversion_at - make_interval(days => {{ var('lookback_days') }})
),

numbered as (
    select
        conversion_id,
        project_id,
        user_identifier,
        conversion_at,
        conversion_value,
        touchpoint_id,
        touchpoint_at,
        channel,
        cast(row_number() over (
            partition by conversion_id order by touchpoint_at, touchpoint_id
        ) as integer) as position,
        cast(count(*) over (partition by conversion_id) as integer) as touchpoint_count,
        cast(extract(epoch from conversion_at - touchpoint_at) as double precision)
        / cast(3600 as double precision) as hours_before
    from joined
)

select * from numbered
