{%- do require_bronze(source('erp', 'ret_ord_q1')) -%}
{#- Every bronze RET_ORD_Q1 line, typed, and the reason it is rejected (NULL = kept). -#}
with

source as (
    select * from {{ source('erp', 'ret_ord_q1') }}
),

typed as (
    select
        {{ clean_text('ord_num') }} as order_number,
        {{ clean_text('prd_key') }} as product_number,
        {{ parse_iso_date('ret_dt') }} as return_date,
        {{ parse_integer('ret_qty') }} as return_quantity,
        {{ clean_text('reason') }} as return_reason,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

validated as (
    select
        typed.*,
        case
            when order_number is null or product_number is null
                then 'return without an order line: ORD_NUM or PRD_KEY is blank'
            when return_quantity is null or return_quantity <= 0
                then 'return without a positive quantity (RET_QTY)'
        end as invalid_reason,
    from typed
),

ranked as (
    -- a return re-sent in a later batch replaces the earlier copy
    select
        validated.*,
        row_number() over (
            partition by order_number, product_number, invalid_reason is null
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from validated
),

final as (
    select
        order_number,
        product_number,
        return_date,
        return_quantity,
        return_reason,
        _batch_id,
        _batch_seq,
        _source_row,
        case
            when invalid_reason is not null then invalid_reason
            when copy_rank > 1
                then 'duplicate return: the same order line was sent again; '
                    || 'the latest copy was kept'
        end as rejection_reason,
    from ranked
)

select * from final
