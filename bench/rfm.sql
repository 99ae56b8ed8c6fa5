-- GET /reports/customer-rfm?limit=50 (first page, today, 365 days): the statement the
-- endpoint runs (Sources/Insights/Store.swift, `rfm`), for pgbench with one client.
WITH window_orders AS (
    SELECT o.customer_id, (o.confirmed_at AT TIME ZONE 'UTC')::date AS day, o.subtotal
    FROM sales_orders o
    WHERE o.confirmed_at >= current_date - 364 AND o.confirmed_at < current_date + 1
      AND o.status NOT IN ('draft', 'cancelled') AND o.currency = 'USD' AND TRUE
), per_customer AS (
    SELECT customer_id, count(*) AS frequency, sum(subtotal)::bigint AS monetary,
           current_date - max(day) AS recency_days, max(day) - min(day) AS span_days,
           count(*) FILTER (WHERE day < current_date - 181) AS earlier_count,
           coalesce(sum(subtotal) FILTER (WHERE day < current_date - 181), 0)::bigint AS earlier_value,
           count(*) FILTER (WHERE day >= current_date - 181) AS later_count,
           coalesce(sum(subtotal) FILTER (WHERE day >= current_date - 181), 0)::bigint AS later_value
    FROM window_orders GROUP BY customer_id
), scored AS (
    SELECT p.*, c.number, c.name, substring(c.number FROM 6)::bigint AS seq,
           ntile(5) OVER (ORDER BY p.recency_days DESC, substring(c.number FROM 6)::bigint DESC) AS r_score,
           ntile(5) OVER (ORDER BY p.frequency, substring(c.number FROM 6)::bigint DESC) AS f_score,
           ntile(5) OVER (ORDER BY p.monetary, substring(c.number FROM 6)::bigint DESC) AS m_score
    FROM per_customer p JOIN customers c ON c.id = p.customer_id
), segmented AS (
    SELECT s.*, CASE
        WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN 'champions'
        WHEN r_score >= 3 AND f_score >= 4 THEN 'loyal'
        WHEN frequency = 1 AND r_score >= 4 THEN 'new'
        WHEN r_score >= 3 THEN 'potential'
        WHEN f_score >= 3 THEN 'at_risk'
        ELSE 'hibernating' END AS segment
    FROM scored s
), paged AS (
    SELECT * FROM segmented ORDER BY seq ASC, customer_id ASC LIMIT 51
)
SELECT p.*,
       (SELECT coalesce(sum(o.subtotal), 0)::bigint FROM sales_orders o
        WHERE o.customer_id = p.customer_id AND o.status NOT IN ('draft', 'cancelled') AND o.currency = 'USD'
          AND o.confirmed_at < current_date + 1) AS lifetime_value,
       (SELECT coalesce(sum(i.total - i.amount_paid - i.amount_credited), 0)::bigint FROM invoices i
        WHERE i.customer_id = p.customer_id AND i.status IN ('issued', 'partially_paid') AND i.currency = 'USD'
          AND i.due_date < current_date) AS overdue_balance
FROM paged p ORDER BY p.seq, p.customer_id;
