-- google_ads: every project's campaign_daily rows in the spend columns (macros/ad_spend.sql).
select * from (
{{ union_ad_spend('google_ads') }}
) as google_ads_campaign_daily
