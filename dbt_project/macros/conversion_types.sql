{#- The run's conversion event types as a SQL list: ('conversion', 'purchase'). The names
    are checked by conversion_type_names() (lower-case letters, digits, underscores). -#}
{% macro conversion_types() -%}
    ({%- for t in conversion_type_names() -%}
        '{{ t }}'{{ ", " if not loop.last }}
    {%- endfor -%})
{%- endmacro %}
