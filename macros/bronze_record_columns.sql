{#- The source columns of a bronze table, in file order, without the load metadata that every
    bronze table adds: what a rejected row's raw record holds. Read from bronze_tables(), the
    dbt side's one list of the bronze contract. -#}
{% macro bronze_record_columns(source_name, table_name) -%}
    {%- set matches = bronze_tables()
        | selectattr('source', 'equalto', source_name)
        | selectattr('source_table', 'equalto', table_name)
        | list -%}
    {%- if not matches -%}
        {{ exceptions.raise_compiler_error(
            "bronze_record_columns: unknown bronze table " ~ source_name ~ '.' ~ table_name) }}
    {%- endif -%}
    {{ return(matches[0]['columns']) }}
{%- endmacro %}
