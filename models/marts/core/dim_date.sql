-- One row per calendar day of every whole calendar year touched by a fact (Jan 1 of the year of
-- the earliest order, ship, due, return or web event date .. Dec 31 of the year of the latest),
-- plus the unknown member (date_key -1) that facts point at when their date is invalid. Whole
-- years because Power BI's time intelligence (YTD, same period last year) expects them. The
-- range is read from the fact tables themselves (cheap column scans; the facts compute their
-- date keys without this table).
--
-- The unknown member carries a sentinel date, never a blank: Power BI refuses blanks in the
-- column of a table marked as date table, and it also wants the dates contiguous. So the
-- sentinel is the day before the calendar's first day (December 31 of the year before the first
-- fact year; 1899-12-31 when no fact has a date): unique, contiguous with the real days, and
-- outside every whole year. Reports filter it out with is_unknown = false.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

returns as (
    select * from {{ ref('fct_returns') }}
),

web_events as (
    select * from {{ ref('fct_web_events') }}
),

fact_dates as (
    select order_date as fact_date from sales
    union all
    select ship_date from sales
    union all
    select due_date from sales
    union all
    select return_date from returns
    union all
    select cast(timezone('UTC', event_at) as date) from web_events
),

date_range as (
    select
        cast(date_trunc('year', min(fact_date)) as date) as first_date,
        cast(date_trunc('year', max(fact_date)) + interval 1 year - interval 1 day as date)
            as last_date,
    from fact_dates
),

calendar_days as (
    select cast(unnest(generate_series(first_date, last_date, interval 1 day)) as date) as calendar_date
    from date_range
    where first_date is not null
),

known_days as (
    select
        cast(strftime(calendar_date, '%Y%m%d') as integer) as date_key,
        calendar_date,
        cast(year(calendar_date) as integer) as year,
        cast(quarter(calendar_date) as integer) as quarter,
        cast(month(calendar_date) as integer) as month,
        monthname(calendar_date) as month_name,
        strftime(calendar_date, '%Y-%m') as year_month,
        cast(date_trunc('month', calendar_date) as date) as month_start_date,
        cast(day(calendar_date) as integer) as day_of_month,
        cast(isodow(calendar_date) as integer) as day_of_week,
        dayname(calendar_date) as day_name,
        cast(weekofyear(calendar_date) as integer) as iso_week,
        isodow(calendar_date) in (6, 7) as is_weekend,
        false as is_unknown,
    from calendar_days
),

unknown_day as (
    select
        -1 as date_key,
        coalesce(cast(first_date - interval 1 day as date), date '1899-12-31') as calendar_date,
        cast(null as integer) as year,
        cast(null as integer) as quarter,
        cast(null as integer) as month,
        'Unknown' as month_name,
        'Unknown' as year_month,
        cast(date_trunc('month', coalesce(first_date - interval 1 day, date '1899-12-31')) as date)
            as month_start_date,
        cast(null as integer) as day_of_month,
        cast(null as integer) as day_of_week,
        'Unknown' as day_name,
        cast(null as integer) as iso_week,
        cast(null as boolean) as is_weekend,
        true as is_unknown,
    from date_range
),

final as (
    select * from unknown_day
    union all
    select * from known_days
)

select * from final
