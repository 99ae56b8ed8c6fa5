-- GET /reports/kpis for the last year: the statements the endpoint runs for an admin
-- (Sources/Insights/Store.swift), in one transaction, for pgbench with one client.
BEGIN;
SELECT count(*) FILTER (WHERE o.currency = 'USD') AS count,
       coalesce(sum(o.subtotal) FILTER (WHERE o.currency = 'USD'), 0)::bigint AS value,
       count(*) FILTER (WHERE o.currency <> 'USD') AS other
FROM sales_orders o
WHERE o.confirmed_at >= (current_date - 364) AND o.confirmed_at < current_date + 1 AND o.status NOT IN ('draft', 'cancelled') AND TRUE;
SELECT coalesce(sum(l.revenue), 0)::bigint AS revenue, coalesce(sum(l.cost), 0)::bigint AS cost
FROM shipment_lines l
WHERE l.shipped_at >= (current_date - 364) AND l.shipped_at < current_date + 1 AND l.currency = 'USD' AND TRUE;
SELECT count(*) FILTER (WHERE stage = 'won') AS won, count(*) FILTER (WHERE stage = 'lost') AS lost
FROM opportunities WHERE closed_at >= (current_date - 364) AND closed_at < current_date + 1 AND TRUE;
SELECT coalesce(sum(v), 0)::bigint AS sum, count(*) AS count FROM (
    SELECT (extract(epoch FROM closed_at - created_at) * 1000)::bigint AS v,
           row_number() OVER (ORDER BY (extract(epoch FROM closed_at - created_at) * 1000)::bigint) AS n, count(*) OVER () AS total
    FROM opportunities WHERE stage = 'won' AND closed_at >= (current_date - 364) AND closed_at < current_date + 1 AND TRUE
) ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2);
SELECT source, count(*) AS leads, count(*) FILTER (WHERE status = 'converted') AS converted
FROM leads WHERE created_at >= (current_date - 364) AND created_at < current_date + 1 AND TRUE GROUP BY source ORDER BY source;
SELECT coalesce(sum(v), 0)::bigint AS sum, count(*) AS count FROM (
    SELECT (extract(epoch FROM first_shipped_at - confirmed_at) * 1000)::bigint AS v,
           row_number() OVER (ORDER BY (extract(epoch FROM first_shipped_at - confirmed_at) * 1000)::bigint) AS n,
           count(*) OVER () AS total
    FROM sales_orders o WHERE o.confirmed_at >= (current_date - 364) AND o.confirmed_at < current_date + 1 AND o.first_shipped_at IS NOT NULL AND TRUE
) ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2);
SELECT count(*) AS due,
       count(*) FILTER (WHERE o.status IN ('shipped', 'closed') AND o.last_shipped_at IS NOT NULL
                          AND (o.last_shipped_at AT TIME ZONE 'UTC')::date <= o.requested_date) AS on_time
FROM sales_orders o
WHERE o.requested_date BETWEEN (current_date - 364) AND current_date AND o.status NOT IN ('draft', 'cancelled')
  AND ((o.status IN ('shipped', 'closed') AND o.last_shipped_at IS NOT NULL) OR o.requested_date < current_date) AND TRUE;
SELECT coalesce(sum(total - amount_paid - amount_credited) FILTER (WHERE status IN ('issued', 'partially_paid')), 0)::bigint AS open,
       coalesce(sum(total - amount_paid - amount_credited)
                FILTER (WHERE status IN ('issued', 'partially_paid') AND due_date < current_date), 0)::bigint AS overdue,
       coalesce(sum(total) FILTER (WHERE status <> 'void' AND issue_date BETWEEN (current_date - 364) AND current_date), 0)::bigint AS invoiced
FROM invoices WHERE currency = 'USD' AND status <> 'draft' AND TRUE;
SELECT (SELECT coalesce(sum(b.on_hand * i.average_cost * 1000), 0)::bigint
        FROM stock_balances b JOIN items i ON i.id = b.item_id WHERE b.on_hand <> 0) AS now,
       coalesce(sum(m.quantity * coalesce(m.unit_cost, i.average_cost) * 1000), 0)::bigint AS since_start,
       coalesce(sum(m.quantity * coalesce(m.unit_cost, i.average_cost) * 1000) FILTER (WHERE m.created_at >= current_date + 1), 0)::bigint AS since_end
FROM stock_movements m JOIN items i ON i.id = m.item_id WHERE m.created_at >= (current_date - 364);
COMMIT;
