-- google_ad_manager: every project's campaign_daily rows in the spend columns (macros/ad_spend.sql).
select * from (
{{ union_ad_spend('google_ad_manager') }}
) as ad_manager_campaign_daily
