{#- A date from a YYYYMMDD integer as text. `0`, anything that is not exactly eight digits
    and impossible dates (20230231) give NULL rather than an error, so the row is kept. -#}
{% macro parse_yyyymmdd_date(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '[0-9]{8}')
            then cast(try_strptime({{ clean_text(column) }}, '%Y%m%d') as date)
    end
{%- endmacro %}
