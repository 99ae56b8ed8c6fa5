-- Alerts: posted supplier bills due within the threshold's days (default 3) or past due.
INSERT INTO alert_rules (kind, threshold) VALUES ('supplier_bill_due', 3) ON CONFLICT (kind) DO NOTHING;
