{#- The product_key of dim_products' unknown member: the product a sales line points at when
    its product number has no kept version (not in prd_info, or every version rejected). -#}
{% macro unknown_product_key() -%}
    '-1'
{%- endmacro %}
