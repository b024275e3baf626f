-- linkedin_ads: every project's campaign_daily rows in the spend columns (macros/ad_spend.sql).
select * from (
{{ union_ad_spend('linkedin_ads') }}
) as linkedin_campaign_daily
