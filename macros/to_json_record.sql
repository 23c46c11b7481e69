{#- The given columns of a row as a JSON object text, in the given order: how a rejected row
    keeps its raw record. Values stay text exactly as in bronze (NULL as JSON null). -#}
{% macro to_json_record(columns, relation_alias) -%}
    cast(to_json(struct_pack(
    {%- for column in columns %}
        "{{ column }}" := {{ relation_alias }}.{{ adapter.quote(column) }}{{ "," if not loop.last }}
    {%- endfor %}
    )) as varchar)
{%- endmacro %}
