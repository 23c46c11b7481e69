{#- The Parquet snapshot of gold that the Spark step scored (`purchases` or `returns`), kept by
    retail/segmentation/pipeline.py in the `input/` folder beside the segments' part files. -#}
{% macro segments_input_path(name) -%}
    {%- set segments_dir = segments_parquet_glob().rsplit('/', 1)[0] -%}
    {{- return(segments_dir ~ '/input/' ~ name ~ '.parquet') -}}
{%- endmacro %}
