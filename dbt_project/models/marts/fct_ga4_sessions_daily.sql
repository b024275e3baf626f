-- GA4 sessions by day and default channel group, every project's GA4 sources (their
-- channel_daily raw tables, macros/ad_spend.sql), each group mapped onto the attribution
-- channel it sits beside in a report (macros/ga4_channels.sql, the mapping
-- fct_ad_spend_daily uses too). The grain: project, source, property, date, channel group.

with

daily as (
    select * from {{ ref('stg_ads__ga4_channel_daily') }}
)

select
    cast(project_id as bigint) as project_id,
    cast(source_id as bigint) as source_id,
    cast(account_id as text) as account_id,
    cast(date as date) as date,
    cast(coalesce(channel_group, '') as text) as channel_group,
    cast({{ ga4_channel("coalesce(channel_group, '')") }} as text) as channel,
    cast({{ ga4_channel("coalesce(channel_group, '')", 'ad_channel') }} as text) as ad_channel,
    cast(currency as text) as currency,
    cast(time_zone as text) as time_zone,
    cast(sessions as bigint) as sessions,
    cast(users as bigint) as users,
    cast(key_events as numeric) as key_events,
    cast(revenue as numeric) as revenue
from daily
