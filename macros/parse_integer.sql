{#- An integer from text, NULL when blank or not an integer (never an error). -#}
{% macro parse_integer(column) -%}
    try_cast({{ clean_text(column) }} as integer)
{%- endmacro %}
