with

source as (
    select * from {{ source('app', 'attribution_events') }}
),

renamed as (
    select
        id as event_id,
        project_id,
        user_identifier,
        session_id,
        event_type,
        event_name,
        coalesce(channel, 'direct') as channel,
        utm_source,
        utm_medium,
        utm_campaign,
        cast(value as double precision) as event_value,
        currency,
        occurred_at,
        received_at
    from source
)

select * from renamed
