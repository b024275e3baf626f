-- meta_ads: every project's campaign_daily rows in the spend columns (macros/ad_spend.sql).
select * from (
{{ union_ad_spend('meta_ads') }}
) as meta_campaign_daily
