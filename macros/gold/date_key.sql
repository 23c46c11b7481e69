{#- The dim_date key of a date: INTEGER YYYYMMDD, or -1 (the unknown member) when the date is null. -#}
{% macro date_key(date_expression) -%}
    cast(coalesce(
        year({{ date_expression }}) * 10000 + month({{ date_expression }}) * 100 + day({{ date_expression }}),
        -1
    ) as integer)
{%- endmacro %}
