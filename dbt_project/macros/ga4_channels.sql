{#- GA4's default channel groups (sessionDefaultChannelGroup) mapped onto our channels:
    the one mapping, used by marts.fct_ad_spend_daily (a GA4 row's channel and
    ad_channel) and marts.fct_ga4_sessions_daily (sessions beside the tracked events).

    Each entry: (channel group, ad_channel, channel), where channel is the attribution
    channel of dra.attribution.channels (paid, social, email, organic, referral, direct,
    other) and ad_channel the finer advertising channel (paid_search, paid_social,
    paid_display, or unpaid). A group not listed (Affiliates, Mobile Push Notifications,
    Unassigned, anything GA4 adds later) is channel other, ad_channel unpaid.
-#}
{% macro ga4_channel_groups() -%}
    {{ return([
        ('Paid Search', 'paid_search', 'paid'),
        ('Paid Shopping', 'paid_search', 'paid'),
        ('Paid Social', 'paid_social', 'paid'),
        ('Display', 'paid_display', 'paid'),
        ('Paid Video', 'paid_display', 'paid'),
        ('Paid Other', 'paid_display', 'paid'),
        ('Cross-network', 'paid_display', 'paid'),
        ('Audio', 'paid_display', 'paid'),
        ('Organic Social', 'unpaid', 'social'),
        ('Email', 'unpaid', 'email'),
        ('SMS', 'unpaid', 'email'),
        ('Organic Search', 'unpaid', 'organic'),
        ('Organic Shopping', 'unpaid', 'organic'),
        ('Organic Video', 'unpaid', 'organic'),
        ('Referral', 'unpaid', 'referral'),
        ('Direct', 'unpaid', 'direct'),
    ]) }}
{%- endmacro %}

{#- The attribution channel (part='channel') or the advertising channel
    (part='ad_channel') of the GA4 channel group in ``column``, as a SQL expression. -#}
{% macro ga4_channel(column, part='channel') -%}
    {%- if part not in ('channel', 'ad_channel') -%}
        {{ exceptions.raise_compiler_error("ga4_channel: part is channel or ad_channel, not " ~ part) }}
    {%- endif -%}
    case {{ column }}
    {%- for group, ad_channel, channel in ga4_channel_groups() %}
        when '{{ group }}' then '{{ ad_channel if part == "ad_channel" else channel }}'
    {%- endfor %}
        else '{{ "unpaid" if part == "ad_channel" else "other" }}'
    end
{%- endmacro %}
