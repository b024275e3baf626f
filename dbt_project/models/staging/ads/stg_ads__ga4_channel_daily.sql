-- google_analytics: every project's channel_daily rows (sessions by default channel group
-- and day), found through app.data_source_tables like the spend tables (macros/ad_spend.sql).
select * from (
{{ union_ad_table('google_analytics', 'channel_daily', [
    ('date', 'date', 'date'),
    ('account_id', 'account_id', 'text'),
    ('currency', 'currency', 'text'),
    ('time_zone', 'time_zone', 'text'),
    ('channel', 'channel_group', 'text'),
    ('sessions', 'sessions', 'bigint'),
    ('users', 'users', 'bigint'),
    ('key_events', 'key_events', 'numeric'),
    ('revenue', 'revenue', 'numeric'),
]) }}
) as ga4_channel_daily
