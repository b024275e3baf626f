-- Advertising spend by day, campaign and platform, every project's, from the five
-- platforms' staging models (their campaign_daily raw tables, macros/ad_spend.sql).
-- The grain: project, source, account, date, campaign, platform channel (GA4's rows by
-- source / medium are added up to it). Channel mapping in fct_ad_spend_daily.yml (GA4's
-- default channel groups: macros/ga4_channels.sql, shared with fct_ga4_sessions_daily).

with

unioned as (
    select 'meta_ads' as platform, * from {{ ref('stg_ads__meta_campaign_daily') }}
    union all
    select 'linkedin_ads' as platform, * from {{ ref('stg_ads__linkedin_campaign_daily') }}
    union all
    select 'google_ads' as platform, * from {{ ref('stg_ads__google_ads_campaign_daily') }}
    union all
    select 'google_analytics' as platform, * from {{ ref('stg_ads__ga4_campaign_daily') }}
    union all
    select 'google_ad_manager' as platform, * from {{ ref('stg_ads__ad_manager_campaign_daily') }}
),

daily as (
    select
        project_id,
        source_id,
        platform,
        date,
        account_id,
        campaign_id,
        coalesce(platform_channel, '') as platform_channel,
        max(campaign_name) as campaign_name,
        max(currency) as currency,
        max(time_zone) as time_zone,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_value) as conversion_value
    from unioned
    group by 1, 2, 3, 4, 5, 6, 7
),

mapped as (
    select
        daily.*,
        case
            when platform in ('meta_ads', 'linkedin_ads') then 'paid_social'
            when platform = 'google_ad_manager' then 'publisher_revenue'
            when platform = 'google_ads' then
                case
                    when platform_channel in ('DISPLAY', 'VIDEO', 'DEMAND_GEN', 'DISCOVERY')
                        then 'paid_display'
                    else 'paid_search'
                end
            -- GA4 by its default channel group (macros/ga4_channels.sql)
            else {{ ga4_channel('platform_channel', 'ad_channel') }}
        end as ad_channel,
        case
            when platform in ('meta_ads', 'linkedin_ads', 'google_ads') then 'paid'
            when platform = 'google_ad_manager' then 'other'
            else {{ ga4_channel('platform_channel') }}
        end as channel,
        case
            when platform in ('meta_ads', 'linkedin_ads', 'google_ads') then 'cost'
            when platform = 'google_ad_manager' then 'revenue'
            else 'none'
        end as spend_kind
    from daily
)

select
    cast(project_id as bigint) as project_id,
    cast(source_id as bigint) as source_id,
    cast(platform as text) as platform,
    cast(date as date) as date,
    cast(account_id as text) as account_id,
    cast(campaign_id as text) as campaign_id,
    cast(campaign_name as text) as campaign_name,
    cast(platform_channel as text) as platform_channel,
    cast(ad_channel as text) as ad_channel,
    cast(channel as text) as channel,
    cast(spend_kind as text) as spend_kind,
    cast(currency as text) as currency,
    cast(time_zone as text) as time_zone,
    cast(spend as numeric) as spend,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(conversions as numeric) as conversions,
    cast(conversion_value as numeric) as conversion_value
from mapped
