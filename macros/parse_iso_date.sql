{#- A date from `YYYY-MM-DD` text (a time part, if any, is ignored); NULL when invalid. -#}
{% macro parse_iso_date(column) -%}
    case
        when regexp_matches({{ clean_text(column) }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then try_cast(left({{ clean_text(column) }}, 10) as date)
    end
{%- endmacro %}
