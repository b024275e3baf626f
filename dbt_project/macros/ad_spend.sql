{#- Advertising spend: where each platform's raw campaign_daily tables are.

    Every ad source (app.data_sources of a platform type) lands its campaign_daily table in
    its own project's raw schema (raw_p<project id>), under a name the ingestion picked
    (recorded in app.data_source_tables.raw_table, source_table = 'campaign_daily'). The
    platform's sources are looked up there when the model is built, and their tables
    unioned, each row tagged with its source's project_id and source_id: projects stay
    apart by those columns, as every model of this project keeps them. A source whose
    table does not exist yet (connected, never loaded) is skipped; a platform without any
    source gives no rows (a typed, empty select), so the build passes with no ad data.
    GA4's channel_daily tables are found and unioned the same way (union_ad_table).
-#}

{#- The spend columns every platform's campaign_daily starts with (dra.ads.platforms
    SPEND_COLUMNS, after the account's id, currency and time zone): (raw name, name,
    type) each. -#}
{% macro ad_spend_columns() -%}
    {{ return([
        ('date', 'date', 'date'),
        ('account_id', 'account_id', 'text'),
        ('currency', 'currency', 'text'),
        ('time_zone', 'time_zone', 'text'),
        ('campaign_id', 'campaign_id', 'text'),
        ('campaign_name', 'campaign_name', 'text'),
        ('channel', 'platform_channel', 'text'),
        ('spend', 'spend', 'numeric'),
        ('impressions', 'impressions', 'bigint'),
        ('clicks', 'clicks', 'bigint'),
        ('conversions', 'conversions', 'numeric'),
        ('conversion_value', 'conversion_value', 'numeric'),
    ]) }}
{%- endmacro %}

{#- ``columns`` ((raw name, name, type) each) cast to their type; all NULL for the typed
    empty select (empty=true). -#}
{% macro ad_columns(columns, empty=false) -%}
    {%- for raw, name, type in columns %}
        cast({{ 'null' if empty else adapter.quote(raw) }} as {{ type }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- (project_id, source_id, schema, table) of every loaded ``source_table`` (default
    campaign_daily; GA4 also has channel_daily) of a platform. -#}
{% macro ad_spend_tables(platform, source_table='campaign_daily') -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if not modules.re.fullmatch('[a-z_]{1,32}', platform) -%}
        {{ exceptions.raise_compiler_error("ad_spend_tables: not a platform key: " ~ platform) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[a-z_]{1,32}', source_table) -%}
        {{ exceptions.raise_compiler_error("ad_spend_tables: not a table name: " ~ source_table) }}
    {%- endif -%}
    {%- set found = run_query(
        "select ds.project_id, ds.id, 'raw_p' || ds.project_id, t.raw_table"
        ~ " from app.data_sources as ds"
        ~ " join app.data_source_tables as t on t.data_source_id = ds.id"
        ~ " where ds.type = '" ~ platform ~ "' and t.source_table = '" ~ source_table ~ "'"
        ~ " and to_regclass(format('%I.%I', 'raw_p' || ds.project_id, t.raw_table)) is not null"
        ~ " order by ds.id"
    ) -%}
    {{ return(found.rows) }}
{%- endmacro %}

{#- One platform's ``source_table`` rows of every project, in ``columns``
    (see ad_columns), each tagged with its project_id and source_id. -#}
{% macro union_ad_table(platform, source_table, columns) -%}
    {%- set tables = ad_spend_tables(platform, source_table) -%}
    {%- for row in tables %}
    select
        cast({{ row[0] | int }} as bigint) as project_id,
        cast({{ row[1] | int }} as bigint) as source_id,
        {{ ad_columns(columns) }}
    from {{ adapter.quote(row[2]) }}.{{ adapter.quote(row[3]) }}
    {{ "union all" if not loop.last }}
    {%- else %}
    select
        cast(null as bigint) as project_id,
        cast(null as bigint) as source_id,
        {{ ad_columns(columns, empty=true) }}
    where false
    {%- endfor %}
{%- endmacro %}

{#- One platform's campaign_daily rows of every project, in the spend columns. -#}
{% macro union_ad_spend(platform) -%}
    {{ union_ad_table(platform, 'campaign_daily', ad_spend_columns()) }}
{%- endmacro %}
