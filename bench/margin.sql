-- GET /reports/margin?group_by=month for the last year: the statement the endpoint runs
-- (Sources/Insights/Store.swift, `margin`), for pgbench with one client, whose average
-- latency is the SQL's own time beside the endpoint's p50.
SELECT to_char(l.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM') AS key, l.currency, sum(l.quantity) AS quantity,
       sum(l.revenue)::bigint AS revenue, sum(l.cost)::bigint AS cost
FROM shipment_lines l
WHERE l.shipped_at >= current_date - 364 AND l.shipped_at < current_date + 1 AND TRUE
GROUP BY 1, l.currency ORDER BY key, l.currency;
