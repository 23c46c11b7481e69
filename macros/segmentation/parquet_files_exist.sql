{#- True when the glob matches at least one file. Asked of DuckDB at run time (false while dbt
    only parses), so a model can fall back to an empty typed relation before the first
    Spark run instead of failing on a missing file. -#}
{% macro parquet_files_exist(file_glob) -%}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set result = run_query("select count(*) from glob('" ~ file_glob | replace("'", "''") ~ "')") -%}
    {{- return(result.columns[0].values()[0] > 0) -}}
{%- endmacro %}
