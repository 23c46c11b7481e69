{#- md5 of the '|'-joined text of the given columns; NULLs become a fixed marker so that
    (NULL, 'a') and ('', 'a') get different keys. Deterministic across rebuilds. -#}
{% macro generate_surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns %},
        coalesce(cast({{ column }} as varchar), '_retail_null_')
    {%- endfor %}
    ))
{%- endmacro %}
