{#- Models go to the schema their folder names (staging, intermediate, marts), not
    <target schema>_<folder>: the platform reads marts.* by that name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
