{#- Month-over-month growth of `measure` against the previous calendar month of the same partition.

    Expects a relation with one row per (partition, month). The previous month is the calendar
    month before (not merely the previous row), so a month without sales gives NULL growth for the
    month after it. Growth is NULL when the previous month is missing or zero; else
    (current - previous) / previous, rounded to 4 places. Emits two columns:
    previous_<measure> and <measure>_mom_growth. -#}
{% macro mom_growth(measure, month_column, partition_by=[]) -%}
    {%- set partition_clause = ('partition by ' ~ partition_by | join(', ')) if partition_by else '' -%}
    {%- set previous_value -%}
        case
            when lag({{ month_column }}) over (
                {{ partition_clause }} order by {{ month_column }}
            ) = {{ month_column }} - interval 1 month
            then lag({{ measure }}) over ({{ partition_clause }} order by {{ month_column }})
        end
    {%- endset -%}
    {{ previous_value }} as previous_{{ measure }},
    case
        when ({{ previous_value }}) <> 0
        then round(({{ measure }} - ({{ previous_value }})) / ({{ previous_value }}), 4)
    end as {{ measure }}_mom_growth
{%- endmacro %}
