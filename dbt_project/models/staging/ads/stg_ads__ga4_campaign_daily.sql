-- google_analytics: every project's campaign_daily rows in the spend columns (macros/ad_spend.sql).
select * from (
{{ union_ad_spend('google_analytics') }}
) as ga4_campaign_daily
