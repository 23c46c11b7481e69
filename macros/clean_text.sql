{#- Trimmed text, NULL when blank or only spaces: the first step of every text column. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
