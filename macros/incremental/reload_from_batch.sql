{#- `first_changed_batch` evaluated before the model runs, as a literal for `batch_filter`: a
    constant filter lets DuckDB skip the row groups of unchanged batches when it scans bronze.
    (Models with unit tests in incremental mode use the SQL expression instead, which reads the
    unit test's `this`.) -#}
{% macro reload_from_batch(relation) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- do require_built_loads() -%}
    {{- return(run_query('select ' ~ first_changed_batch(relation)).columns[0].values()[0]) -}}
{%- endmacro %}


{#- A filter on `_batch_seq` against the batch from `reload_from_batch`: the batches to rebuild
    (`batches='reloaded'`) or the ones kept as built (`batches='built'`). Nothing to rebuild
    when no batch changed, so an unchanged warehouse rebuilds nothing. -#}
{% macro batch_filter(reload_from, batches='reloaded') -%}
    {%- if reload_from is none -%}
        {%- if batches == 'reloaded' %}false{% else %}true{% endif -%}
    {%- else -%}
        _batch_seq {{ '>=' if batches == 'reloaded' else '<' }} {{ reload_from | int }}
    {%- endif -%}
{%- endmacro %}


{#- The copies of rows an incremental base model built from the batches it keeps (before
    `reload_from`) that are valid (kept, or rejected only as a duplicate), shaped like the
    model's `checked` rows (invalid_reason NULL), to be ranked again with the reloaded rows.
    Callers may add `and ...` conditions. -#}
{% macro valid_built_copies(reload_from, duplicate_reason) -%}
    select * exclude (rejection_reason), null::varchar as invalid_reason,
    from {{ this }}
    where {{ batch_filter(reload_from, 'built') }}
        and (rejection_reason is null or rejection_reason = '{{ duplicate_reason }}')
{%- endmacro %}
