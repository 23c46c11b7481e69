{#- Fails for every combination of the given columns that occurs more than once:
    the uniqueness test for compound grains (order line = order + product). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

combinations as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences,
    from {{ model }}
    group by all
),

duplicates as (
    select * from combinations
    where occurrences > 1
)

select * from duplicates

{% endtest %}
