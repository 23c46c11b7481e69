-- One row per funnel step. `sessions` counts the DISTINCT sessions with at least one event of
-- the step (the first step, 'sessions', counts every session with any event; 'payment_success'
-- counts sessions with a payment_attempt whose payment_status is 'success').
-- conversion_from_previous = sessions / sessions of the previous step (NULL on the first step
-- and when the previous step has no sessions). payment_attempts, failed_payments and
-- payment_failure_rate (failed / all payment_attempt events, event level) are the same on every
-- row. Empty-extract safe: without web events every step shows 0 sessions.

with

events as (
    select * from {{ ref('fct_web_events') }}
),

steps as (
    select * from (values
        (1, 'sessions'),
        (2, 'product_view'),
        (3, 'add_to_cart'),
        (4, 'checkout_start'),
        (5, 'payment_attempt'),
        (6, 'payment_success'),
        (7, 'purchase')
    ) as step_list (step_order, step)
),

session_steps as (
    select session_id, 'sessions' as step from events
    union all
    select session_id, event_type as step
    from events
    where event_type in ('product_view', 'add_to_cart', 'checkout_start', 'payment_attempt', 'purchase')
    union all
    select session_id, 'payment_success' as step
    from events
    where event_type = 'payment_attempt'
        and payment_status = 'success'
),

sessions_by_step as (
    select
        step,
        count(distinct session_id) as sessions,
    from session_steps
    group by step
),

payments as (
    select
        count(*) as payment_attempts,
        count(*) filter (where payment_status = 'failed') as failed_payments,
    from events
    where event_type = 'payment_attempt'
),

funnel as (
    select
        steps.step_order,
        steps.step,
        coalesce(sessions_by_step.sessions, 0) as sessions,
    from steps
    left join sessions_by_step
        on steps.step = sessions_by_step.step
),

final as (
    select
        funnel.step_order,
        funnel.step,
        funnel.sessions,
        case
            when lag(funnel.sessions) over (order by funnel.step_order) > 0
            then round(
                funnel.sessions / lag(funnel.sessions) over (order by funnel.step_order), 4
            )
        end as conversion_from_previous,
        payments.payment_attempts,
        payments.failed_payments,
        case
            when payments.payment_attempts > 0
            then round(payments.failed_payments / payments.payment_attempts, 4)
        end as payment_failure_rate,
    from funnel
    cross join payments
)

select * from final
