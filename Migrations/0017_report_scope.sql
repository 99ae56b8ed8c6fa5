-- Alerts: posted supplier bills due within the threshold's days (default 3) or past due.
INSERT INTO alert_rules (kind, threshold) VALUES ('supplier_bill_due', 3) ON CONFLICT (kind) DO NOTHING;

-- The kept RFM rankings (rfm_snapshots) are checked against "count:Σ rfm_revision" of
-- sales_orders. The revision moves only when an order changes what RFM reads (its customer,
-- confirmation time, subtotal, currency, or whether it counts at all: draft and cancelled
-- orders do not), so shipping, invoicing or editing notes keeps the ranking.
ALTER TABLE sales_orders ADD COLUMN rfm_revision integer NOT NULL DEFAULT 0;

CREATE FUNCTION sales_orders_rfm_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.rfm_revision := OLD.rfm_revision;
    IF NEW.customer_id IS DISTINCT FROM OLD.customer_id OR NEW.confirmed_at IS DISTINCT FROM OLD.confirmed_at
       OR NEW.subtotal IS DISTINCT FROM OLD.subtotal OR NEW.currency IS DISTINCT FROM OLD.currency
       OR (NEW.status IN ('draft', 'cancelled')) IS DISTINCT FROM (OLD.status IN ('draft', 'cancelled')) THEN
        NEW.rfm_revision := OLD.rfm_revision + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER sales_orders_rfm_revision BEFORE UPDATE ON sales_orders
    FOR EACH ROW EXECUTE FUNCTION sales_orders_rfm_revision();
