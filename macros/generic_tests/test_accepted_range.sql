{#- Fails for every row whose value lies outside [min_value, max_value] (bounds are SQL
    expressions, either may be omitted; `inclusive: false` makes them strict). NULLs pass. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

candidates as (
    select {{ column_name }} as value
    from {{ model }}
    where {{ column_name }} is not null
),

out_of_range as (
    select * from candidates
    where false
    {%- if min_value is not none %}
        or value {{ '<' if inclusive else '<=' }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
        or value {{ '>' if inclusive else '>=' }} {{ max_value }}
    {%- endif %}
)

select * from out_of_range

{% endtest %}
