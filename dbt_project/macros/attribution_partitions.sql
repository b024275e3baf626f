{#- Incremental attribution, by project and month.

    int_touchpoints is built in partitions: (options, project, month of the conversion),
    where the options are the lookback window and the conversion event types of the run
    (vars lookback_days and conversion_event_types; a report passes its own). A build
    recomputes only the partitions whose events changed since that options' last build:

    - int_touchpoints_sources (a temporary table of the build's transaction): per project
      in scope and month of events, count(*) and sum(id) of the events, now;
    - intermediate.int_touchpoints_state: the same figures as the last build of these
      options saw them (unlogged like int_touchpoints: a crash empties both together);
    - a month whose figures differ (events added, removed, or a late event) changes the
      touchpoints of the conversions of that month and of the months its events reach as
      touchpoints (up to lookback_days later): those partitions are deleted and rebuilt,
      all in the model's one transaction, then the state is brought up to date;
    - a project in scope without events any more (deleted) loses its rows of every
      options. Other options' partitions of a project stay as their last build left them
      until a build with those options (a report's) brings them up to date.

    Scope: var project_ids (a list of project ids; empty means every project). A report
    builds its project only. `dbt build --full-refresh` (the nightly job) recreates the
    table for the run's options and every project in scope, and resets the state.
-#}

{#- The month (UTC) of a timestamp column, as a date: the partition key. -#}
{% macro utc_month(column) -%}
    cast(date_trunc('month', {{ column }} at time zone 'UTC') as date)
{%- endmacro %}

{#- The run's lookback window in days: a whole number from 1 to 365. -#}
{% macro lookback_days() -%}
    {%- set days = var('lookback_days') -%}
    {%- if days is not number or days != days | int or days < 1 or days > 365 -%}
        {{ exceptions.raise_compiler_error("var lookback_days must be a whole number of days from 1 to 365, not " ~ days) }}
    {%- endif -%}
    {{ days | int }}
{%- endmacro %}

{#- The run's conversion event types, checked (lower-case names), sorted, unique. -#}
{% macro conversion_type_names() -%}
    {%- set names = var('conversion_event_types') -%}
    {%- if names is string or names is not iterable or names | length == 0 -%}
        {{ exceptions.raise_compiler_error("var conversion_event_types must be a non-empty list of event types") }}
    {%- endif -%}
    {%- for name in names -%}
        {%- if name is not string or not modules.re.fullmatch('[a-z][a-z0-9_]{0,31}', name) -%}
            {{ exceptions.raise_compiler_error("var conversion_event_types: not an event type name: " ~ name) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | unique | sort) }}
{%- endmacro %}

{#- The options' key stored with every row: the sorted types joined by commas. -#}
{% macro conversion_types_key() -%}
    '{{ conversion_type_names() | join(",") }}'
{%- endmacro %}

{#- SQL condition: the row's project is in the run's scope (var project_ids). -#}
{% macro attribution_scope(column='project_id') -%}
    {%- set ids = var('project_ids') -%}
    {%- if ids is string or ids is not iterable -%}
        {{ exceptions.raise_compiler_error("var project_ids must be a list of project ids") }}
    {%- endif -%}
    {%- if ids | length == 0 -%}
        true
    {%- else -%}
        {%- for id in ids -%}
            {%- if id is not number or id != id | int -%}
                {{ exceptions.raise_compiler_error("var project_ids: not a project id: " ~ id) }}
            {%- endif -%}
        {%- endfor -%}
        {{ column }} in ({{ ids | map('int') | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- SQL condition: the row belongs to the run's options. -#}
{% macro attribution_options(alias=none) -%}
    {%- set p = alias ~ '.' if alias else '' -%}
    {{ p }}lookback_days = {{ lookback_days() }}
    and {{ p }}conversion_types = {{ conversion_types_key() }}
{%- endmacro %}

{% macro touchpoints_state() -%}
    {{ this.schema }}.int_touchpoints_state
{%- endmacro %}

{#- Before the model's SQL, in its transaction: the state table, the events' figures now,
    and (incremental runs) the partitions to rebuild, deleted from the table. -#}
{% macro touchpoints_pre_hook() -%}
create unlogged table if not exists {{ touchpoints_state() }} (
    lookback_days integer not null,
    conversion_types text not null,
    project_id bigint not null,
    event_month date not null,
    event_count bigint not null,
    id_sum numeric not null,
    built_at timestamptz not null default now(),
    primary key (lookback_days, conversion_types, project_id, event_month)
);
create temporary table int_touchpoints_sources on commit drop as
select
    project_id,
    {{ utc_month('occurred_at') }} as event_month,
    count(*) as event_count,
    sum(event_id) as id_sum
from {{ ref('stg_attribution_events') }}
where {{ attribution_scope() }}
group by 1, 2;
{%- if is_incremental() %}
create temporary table int_touchpoints_rebuild on commit drop as
with

built as (
    select project_id, event_month, event_count, id_sum
    from {{ touchpoints_state() }}
    where {{ attribution_options() }} and {{ attribution_scope() }}
),

changed as (
    select
        coalesce(now_.project_id, built.project_id) as project_id,
        coalesce(now_.event_month, built.event_month) as event_month
    from int_touchpoints_sources as now_
    full outer join built
        on built.project_id = now_.project_id and built.event_month = now_.event_month
    where
        now_.event_count is distinct from built.event_count
        or now_.id_sum is distinct from built.id_sum
)

-- a month's events are touchpoints of conversions up to lookback_days after its end
select distinct
    changed.project_id,
    cast(reached.month as date) as conversion_month
from changed
cross join lateral generate_series(
    cast(changed.event_month as timestamp),
    cast(changed.event_month as timestamp) + interval '1 month' - interval '1 microsecond'
    + make_interval(days => {{ lookback_days() }}),
    interval '1 month'
) as reached (month);
analyze int_touchpoints_rebuild;
-- projects in scope without events any more (deleted): their rows of every options go
delete from {{ this }} as t
where
    {{ attribution_scope('t.project_id') }}
    and not exists (select from int_touchpoints_sources as s where s.project_id = t.project_id);
delete from {{ touchpoints_state() }} as b
where
    {{ attribution_scope('b.project_id') }}
    and not exists (select from int_touchpoints_sources as s where s.project_id = b.project_id);
delete from {{ this }} as t
using int_touchpoints_rebuild as r
where
    {{ attribution_options('t') }}
    and t.project_id = r.project_id
    and t.conversion_month = r.conversion_month
{%- endif %}
{%- endmacro %}

{#- After the model's SQL, in its transaction: the state now matches what was built. -#}
{% macro touchpoints_post_hook() -%}
{%- if is_incremental() %}
delete from {{ touchpoints_state() }}
where {{ attribution_options() }} and {{ attribution_scope() }};
{%- else %}
-- a new table: no other options' partitions are in it any more
delete from {{ touchpoints_state() }};
{%- endif %}
insert into {{ touchpoints_state() }}
    (lookback_days, conversion_types, project_id, event_month, event_count, id_sum)
select {{ lookback_days() }}, {{ conversion_types_key() }}, project_id, event_month, event_count, id_sum
from int_touchpoints_sources
{%- endmacro %}
