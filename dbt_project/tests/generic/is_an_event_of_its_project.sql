{#- Each value is the id of an event of the row's own project (a stricter relationships
    test). Both sides read the projects of the build only (var project_ids): the rows
    through the where config every test here has, the events through the same scope,
    so a report's build tests its project, whatever the platform holds. -#}
{% test is_an_event_of_its_project(model, column_name) %}

with child as (
    select project_id, {{ column_name }} as event_id
    from {{ model }}
    where {{ column_name }} is not null
)

select child.event_id
from child
where not exists (
    select
    from {{ ref('stg_attribution_events') }} as e
    where
        {{ attribution_scope('e.project_id') }}
        and e.project_id = child.project_id
        and e.event_id = child.event_id
)

{% endtest %}
