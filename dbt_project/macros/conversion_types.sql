{#- The configured conversion event types as a SQL list: ('conversion', 'purchase'). -#}
{% macro conversion_types() -%}
    ({%- for t in var('conversion_event_types') -%}
        '{{ t | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%})
{%- endmacro %}
