{#- Fails for every row where the SQL expression is not true (false or NULL): row-level
    business rules such as `sales_amount = quantity * unit_price`. -#}
{% test expression_is_true(model, expression) %}

with

violations as (
    select * from {{ model }}
    where not coalesce(({{ expression }}), false)
)

select * from violations

{% endtest %}
