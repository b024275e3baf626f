{#- Planner statistics of the partitioned events table, gathered when it has none (a new
    platform): autovacuum never analyzes a partitioned parent, and without them the
    touchpoints join is planned on guesses. The daily attribution job refreshes them. -#}
{% macro analyze_events_if_never_analyzed() -%}
do $$
begin
    if not exists (
        select 1 from pg_stats
        where schemaname = 'app' and tablename = 'attribution_events' and inherited
    ) then
        analyze app.attribution_events;
    end if;
end
$$
{%- endmacro %}
