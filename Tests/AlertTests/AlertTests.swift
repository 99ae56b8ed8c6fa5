import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Alerts over HTTP against a real PostgreSQL: opened and resolved in the transaction that
/// changes the data, by `POST /alerts/evaluate` for conditions of time, once per subject.
@Suite struct AlertTests {
    @Test func stockBelowReorder_opensOnce_resolvesWithTheCount_andWebhooksSeeOpenedThenResolved() throws {
        let app = try TestApp(configure: {
            $0.webhookAllowPrivate = true
            $0.webhookRetryBaseMilliseconds = 40
        })
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let hook = try fixture.admin.post(
            "/webhooks", #"{"url":"\#(receiver.url)","event_types":["alert.opened","alert.resolved"]}"#)
        #expect(hook.status == 201, "\(hook)")
        let item = try fixture.item(reorderPoint: 10)

        try fixture.count(item, 5)
        var open = try fixture.alerts("kind=stock_below_reorder&item_id=\(item)&status=open")
        #expect(open.count == 1)
        #expect(open.first?["subject"]?["type"]?.stringValue == "item")
        #expect(open.first?["details"]?["available"]?.numberText == "5")
        #expect(open.first?["warehouse_id"]?.stringValue == fixture.warehouse)

        try fixture.count(item, 4)
        open = try fixture.alerts("kind=stock_below_reorder&item_id=\(item)")
        #expect(open.count == 1, "still one alert, not a second")
        #expect(open.first?["status"]?.stringValue == "open")
        #expect(open.first?["details"]?["available"]?.numberText == "4")

        try fixture.count(item, 20)
        let all = try fixture.alerts("kind=stock_below_reorder&item_id=\(item)")
        #expect(all.count == 1)
        #expect(all.first?["status"]?.stringValue == "resolved")
        #expect(all.first?["resolved_at"]?.stringValue != nil)

        let delivered = eventually(timeout: 15) { receiver.requests.count >= 2 }
        #expect(delivered, "the receiver got \(receiver.requests.count) deliveries")
        let types = receiver.requests.compactMap { try? JSONParser.parse($0.body)["type"]?.stringValue }
        #expect(types == ["alert.opened", "alert.resolved"])
    }

    @Test func invoiceOverdue_isOpenAfterEvaluate_andPayingResolvesIt() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        let invoice = try fixture.invoice(customer, amount: 10_000, daysAgo: 45)
        let current = try fixture.invoice(customer, amount: 500, daysAgo: 1)

        let result = try fixture.evaluate()
        #expect(result["ran"]?.boolValue == true)
        let open = try fixture.alerts("kind=invoice_overdue&customer_id=\(customer)")
        #expect(open.map { $0["subject"]?["id"]?.stringValue } == [invoice], "only the overdue invoice: not \(current)")
        #expect(open.first?["details"]?["days_overdue"]?.int64Value == 15)
        #expect(open.first?["details"]?["balance"]?.int64Value == 10_000)
        #expect(open.first?["severity"]?.stringValue == "warning")

        // The customer summary lists it.
        let summary = try fixture.admin.get("/customers/\(customer)/summary")
        #expect(summary["open_alerts"]?.arrayValue?.map { $0["kind"]?.stringValue } == ["invoice_overdue"])

        let paid = try fixture.admin.post(
            "/payments",
            #"{"customer_id":"\#(customer)","amount":10000,"method":"bank_transfer","allocations":[{"invoice_id":"\#(invoice)","amount":10000}]}"#
        )
        #expect(paid.status == 201, "\(paid)")
        let after = try fixture.alerts("kind=invoice_overdue&customer_id=\(customer)")
        #expect(after.map { $0["status"]?.stringValue } == ["resolved"])
        #expect(try fixture.admin.get("/customers/\(customer)/summary")["open_alerts"]?.arrayValue?.isEmpty == true)
    }

    @Test func latePurchaseOrder_opens_andReceivingResolvesIt() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let item = try fixture.item(reorderPoint: 0)
        let order = try fixture.purchaseOrder(item, quantity: 6, expected: AlertFixture.date(-3))
        let onTime = try fixture.purchaseOrder(item, quantity: 6, expected: AlertFixture.date(3))

        _ = try fixture.evaluate()
        let late = try fixture.alerts("kind=purchase_order_late&status=open")
        #expect(late.map { $0["subject"]?["id"]?.stringValue } == [order], "not the one due later: \(onTime)")
        #expect(late.first?["details"]?["days_late"]?.int64Value == 3)
        #expect(late.first?["supplier_id"]?.stringValue != nil)

        // Part of it arrives: still late.
        var receipt = try fixture.admin.post(
            "/purchase-orders/\(order)/receipts", #"{"lines":[{"line_no":1,"quantity":2}]}"#)
        #expect(receipt.status == 201, "\(receipt)")
        #expect(try fixture.alerts("kind=purchase_order_late&status=open").count == 1)
        receipt = try fixture.admin.post(
            "/purchase-orders/\(order)/receipts", #"{"lines":[{"line_no":1,"quantity":4}]}"#)
        #expect(receipt.status == 201, "\(receipt)")
        #expect(try fixture.alerts("kind=purchase_order_late&status=open").isEmpty)
        #expect(try fixture.alerts("kind=purchase_order_late&status=resolved").count == 1)
    }

    @Test func twoInstances_evaluatingConcurrently20Times_leaveOneAlertPerSubject() throws {
        let first = try TestApp()
        let second = try TestApp(databaseURL: first.databaseURL)
        defer { second.stop() }
        defer { first.stop() }
        let fixture = try AlertFixture(second)
        let customer = try fixture.customer()
        var invoices: [String] = []
        for _ in 0..<3 { invoices.append(try fixture.invoice(customer, amount: 1_000, daysAgo: 40)) }
        let item = try fixture.item(reorderPoint: 0)
        _ = try fixture.purchaseOrder(item, quantity: 1, expected: AlertFixture.date(-2))
        // Start from no alerts, so the ticks have every subject to open at once.
        try TestSQL.execute(first.databaseURL, "DELETE FROM alerts")

        let failures = Locked<[String]>([])
        let ports = [first.port, second.port]
        let key = second.adminKey
        concurrently(4) { index in
            let client = APIClient(port: ports[index % 2], key: key)
            for _ in 0..<5 {
                do {
                    let reply = try client.post("/alerts/evaluate", "")
                    if reply.status != 200 { failures.withLock { $0.append("\(reply)") } }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let rows = try TestSQL.lines(
            first.databaseURL, "SELECT kind || ' ' || subject_key || ' ' || status FROM alerts ORDER BY 1")
        #expect(rows.count == 4, "one alert per subject, never opened twice: \(rows)")
        #expect(rows.allSatisfy { $0.hasSuffix(" open") })
        #expect(Set(rows.map { $0.split(separator: " ")[1] }).count == 4)
    }

    @Test func acknowledging_movesOpenToAcknowledged_andAResolvedAlertIsAConflict() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let item = try fixture.item(reorderPoint: 10)
        try fixture.count(item, 3)
        let alert = try #require(try fixture.alerts("item_id=\(item)").first?["id"]?.stringValue)

        let acknowledged = try fixture.admin.post("/alerts/\(alert)/acknowledge", #"{"note":"ordering more"}"#)
        #expect(acknowledged.status == 200, "\(acknowledged)")
        #expect(acknowledged["status"]?.stringValue == "acknowledged")
        #expect(acknowledged["acknowledgement_note"]?.stringValue == "ordering more")
        #expect(acknowledged["acknowledged_by"]?.stringValue != nil)
        // Still the one live alert while the condition holds.
        try fixture.count(item, 2)
        #expect(try fixture.alerts("item_id=\(item)").map { $0["status"]?.stringValue } == ["acknowledged"])

        try fixture.count(item, 50)
        let again = try fixture.admin.post("/alerts/\(alert)/acknowledge", "")
        #expect(again.status == 409)
        #expect(again.code == "invalid_transition")
        #expect(try fixture.admin.get("/alerts/\(UUID())").status == 404)
        #expect(try fixture.admin.get("/alerts/\(alert)").status == 200)
    }

    @Test func badInput_unknownKindIs400OnListsAnd404OnRules_thresholdOutOfRangeIs422() throws {
        let app = try TestApp()
        defer { app.stop() }
        let admin = app.client()
        #expect(try admin.get("/alerts?kind=volcano").code == "invalid_parameter")
        #expect(try admin.get("/alerts?status=closed").status == 400)
        #expect(try admin.get("/alerts?customer_id=nope").status == 400)
        #expect(try admin.send("PUT", "/alert-rules/volcano", body: #"{"enabled":true}"#).status == 404)
        #expect(try admin.get("/alert-rules/volcano").status == 404)
        let tooHigh = try admin.send(
            "PUT", "/alert-rules/credit_near_limit", body: #"{"enabled":true,"threshold":101}"#)
        #expect(tooHigh.status == 422)
        #expect(tooHigh["errors"]?[0]?["field"]?.stringValue == "threshold")
        #expect(
            try admin.send("PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":true,"threshold":-1}"#).status
                == 422)
        #expect(
            try admin.send("PUT", "/alert-rules/stock_below_reorder", body: #"{"enabled":true,"threshold":5}"#).status
                == 422)
        #expect(
            try admin.send("PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":true,"color":1}"#).code
                == "unknown_field")
        #expect(try admin.post("/alerts/evaluate", #"{"now":true}"#).code == "unknown_field")

        let rules = try admin.get("/alert-rules")
        #expect(
            rules["data"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }.sorted() == [
                "activity_overdue", "approval_waiting", "case_sla_breached", "credit_near_limit", "invoice_overdue",
                "purchase_order_late", "quotation_expiring", "sales_order_late", "stock_below_reorder",
                "supplier_bill_due", "webhook_failing",
            ])
        let sales = APIClient(port: app.port, key: try app.key(forRole: "sales"))
        #expect(try sales.get("/alerts").status == 200)
        #expect(try sales.post("/alerts/evaluate", "").status == 403)
        #expect(try sales.send("PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":false}"#).status == 403)
    }

    @Test func rules_thresholdAndDisabling_takeEffectAtOnce() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        _ = try fixture.invoice(customer, amount: 1_000, daysAgo: 40)
        _ = try fixture.evaluate()
        #expect(try fixture.alerts("kind=invoice_overdue&status=open").count == 1)

        // Ten days overdue is within a 15-day grace.
        let graced = try fixture.admin.send(
            "PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":true,"threshold":15}"#)
        #expect(graced.status == 200, "\(graced)")
        #expect(graced["threshold"]?.int64Value == 15)
        #expect(graced["threshold_unit"]?.stringValue == "days")
        #expect(try fixture.alerts("kind=invoice_overdue&status=open").isEmpty)

        _ = try fixture.admin.send("PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":true,"threshold":0}"#)
        #expect(try fixture.alerts("kind=invoice_overdue&status=open").count == 1)
        let off = try fixture.admin.send("PUT", "/alert-rules/invoice_overdue", body: #"{"enabled":false}"#)
        #expect(off["enabled"]?.boolValue == false)
        #expect(off["threshold"]?.int64Value == 0, "an absent threshold keeps the current one")
        #expect(try fixture.alerts("kind=invoice_overdue&status=open").isEmpty)
        _ = try fixture.evaluate()
        #expect(try fixture.alerts("kind=invoice_overdue&status=open").isEmpty)
    }

    @Test func creditNearLimit_opensWithTheInvoiceThatCrossesIt() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer(#","credit_limit":10000"#)
        _ = try fixture.invoice(customer, amount: 8_000, daysAgo: 0)
        #expect(try fixture.alerts("kind=credit_near_limit").isEmpty)
        _ = try fixture.invoice(customer, amount: 1_500, daysAgo: 0)
        let open = try fixture.alerts("kind=credit_near_limit&status=open")
        #expect(open.count == 1)
        #expect(open.first?["details"]?["percent_used"]?.int64Value == 95)
        #expect(open.first?["customer_id"]?.stringValue == customer)
    }

    /// The scheduler's tick finds every customer near its limit in one statement; each alert
    /// carries the figure the credit check and the customer summary show, and customers below
    /// the threshold, without a limit or owing nothing get none.
    @Test func creditNearLimit_tick_agreesWithEachCustomersCreditFigure() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let admin = fixture.admin
        // Documents first, with the rule off, so that only the tick can open the alerts.
        let off = try admin.send("PUT", "/alert-rules/credit_near_limit", body: #"{"enabled":false}"#)
        #expect(off.status == 200, "\(off)")
        func order(_ customer: String, _ amount: Int) throws {
            let id = try fixture.created(
                "/sales-orders",
                #"{"customer_id":"\#(customer)","warehouse_id":"\#(fixture.warehouse)","lines":[{"description":"Work","quantity":1,"unit_price":\#(amount)}]}"#
            )
            let confirmed = try admin.post("/sales-orders/\(id)/confirm")
            guard confirmed.status == 200 else { throw TestFailure("confirm: \(confirmed)") }
        }
        func payment(_ customer: String, _ amount: Int) throws {
            _ = try fixture.created("/payments", #"{"customer_id":"\#(customer)","amount":\#(amount),"method":"card"}"#)
        }
        let limited = #","credit_limit":10000"#
        let byOrders = try fixture.customer(limited)
        try order(byOrders, 9_500)
        let byInvoice = try fixture.customer(limited)
        _ = try fixture.invoice(byInvoice, amount: 9_600, daysAgo: 0)
        let creditBelow = try fixture.customer(limited)
        _ = try fixture.invoice(creditBelow, amount: 9_600, daysAgo: 0)
        try payment(creditBelow, 1_000)
        let both = try fixture.customer(limited)
        try order(both, 5_000)
        _ = try fixture.invoice(both, amount: 4_500, daysAgo: 0)
        let exactly = try fixture.customer(limited)
        try order(exactly, 9_000)
        let past = try fixture.customer(limited)
        _ = try fixture.invoice(past, amount: 12_000, daysAgo: 0)
        let nothing = try fixture.customer(limited)
        let unlimited = try fixture.customer()
        _ = try fixture.invoice(unlimited, amount: 50_000, daysAgo: 0)
        #expect(try fixture.alerts("kind=credit_near_limit").isEmpty)

        let on = try admin.send("PUT", "/alert-rules/credit_near_limit", body: #"{"enabled":true}"#)
        #expect(on.status == 200, "\(on)")
        _ = try fixture.evaluate()
        var alerted: [String: JSONValue] = [:]
        for alert in try fixture.alerts("kind=credit_near_limit&status=open") {
            alerted[alert["customer_id"]?.stringValue ?? "?"] = alert["details"]
        }
        #expect(Set(alerted.keys) == [byOrders, byInvoice, both, exactly, past])
        for customer in [byOrders, byInvoice, creditBelow, both, exactly, past, nothing] {
            let credit = try #require(try admin.get("/customers/\(customer)/summary")["credit"])
            let used = try #require(credit["used"]?.int64Value)
            if let details = alerted[customer] {
                #expect(details["used"]?.int64Value == used)
                #expect(details["percent_used"]?.int64Value == used * 100 / 10_000)
                #expect(details["limit"]?.int64Value == 10_000)
            } else {
                #expect(used * 100 < 90 * 10_000, "\(customer) uses \(used) without an alert")
            }
        }
        #expect(alerted[past]?["available"]?.int64Value == -2_000)
    }

    @Test func metrics_showOpenAlertsByKind_andTheLastTick() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        _ = try fixture.invoice(customer, amount: 1_000, daysAgo: 40)
        _ = try fixture.evaluate()
        let anonymous = app.client(key: "")
        let shown = try eventually(timeout: 10) {
            let text = try anonymous.get("/metrics").text
            return text.contains(#"concord_alerts_open{kind="invoice_overdue"} 1"#)
                && text.contains(#"concord_alerts_open{kind="stock_below_reorder"} 0"#)
                && !text.contains("concord_alerts_last_tick_timestamp_seconds 0\n")
                && text.contains("concord_alerts_last_tick_timestamp_seconds 1")
        }
        let lines = try anonymous.get("/metrics").text.split(separator: "\n").filter { $0.contains("alerts") }
        #expect(shown, "\(lines)")
    }

    @Test func scheduler_ticksOnItsOwn_andZeroTurnsItOff() throws {
        let ticking = try TestApp(configure: { $0.schedulerIntervalSeconds = 1 })
        defer { ticking.stop() }
        let fixture = try AlertFixture(ticking)
        let customer = try fixture.customer()
        let invoice = try fixture.invoice(customer, amount: 1_000, daysAgo: 40)
        try TestSQL.execute(ticking.databaseURL, "DELETE FROM alerts")
        let reopened = try eventually(timeout: 10) {
            try fixture.alerts("kind=invoice_overdue&status=open").first?["subject"]?["id"]?.stringValue == invoice
        }
        #expect(reopened, "the scheduler's tick opened the alert again")

        let off = try TestApp(configure: { $0.schedulerIntervalSeconds = 0 })
        defer { off.stop() }
        usleep(1_500_000)
        #expect(
            try TestSQL.scalar(off.databaseURL, "SELECT count(*) FROM alert_scheduler WHERE last_tick_at IS NULL")
                == "1")
    }
}

/// The kinds that watch CRM and quotations: opened with the write that makes them true, resolved
/// with the one that clears them.
@Suite struct AlertKindTests {
    @Test func activityOverdue_opensWithThePastDueActivity_andCompletingResolvesIt() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        let activity = try fixture.created(
            "/activities",
            #"{"type":"call","subject":"Chase the order","due_at":"\#(AlertFixture.date(-2))T09:00:00Z","customer_id":"\#(customer)"}"#
        )
        let open = try fixture.alerts("kind=activity_overdue&status=open")
        #expect(open.map { $0["subject"]?["id"]?.stringValue } == [activity])
        #expect(open.first?["customer_id"]?.stringValue == customer)
        #expect(try fixture.admin.post("/activities/\(activity)/complete", "").status == 200)
        #expect(try fixture.alerts("kind=activity_overdue").map { $0["status"]?.stringValue } == ["resolved"])
    }

    @Test func salesOrderLate_opensWhenConfirmedPastItsDate_andShippingEverythingResolvesIt() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        let item = try fixture.item(reorderPoint: 0)
        try fixture.count(item, 10)
        let order = try fixture.created(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","warehouse_id":"\#(fixture.warehouse)","requested_date":"\#(AlertFixture.date(-1))","lines":[{"item_id":"\#(item)","quantity":4}]}"#
        )
        #expect(try fixture.alerts("kind=sales_order_late").isEmpty, "a draft is not late")
        let confirmed = try fixture.admin.post("/sales-orders/\(order)/confirm", "")
        #expect(confirmed.status == 200, "\(confirmed)")
        let open = try fixture.alerts("kind=sales_order_late&status=open")
        #expect(open.map { $0["subject"]?["id"]?.stringValue } == [order])
        #expect(open.first?["details"]?["days_late"]?.int64Value == 1)
        var shipped = try fixture.admin.post(
            "/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        #expect(shipped.status == 201, "\(shipped)")
        #expect(try fixture.alerts("kind=sales_order_late&status=open").count == 1, "partly shipped is still late")
        shipped = try fixture.admin.post("/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":3}]}"#)
        #expect(shipped.status == 201, "\(shipped)")
        #expect(try fixture.alerts("kind=sales_order_late").map { $0["status"]?.stringValue } == ["resolved"])
    }

    @Test func quotationExpiring_opensForADraftWithinItsDays_andNotForOneFurtherOut() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let customer = try fixture.customer()
        let item = try fixture.item(reorderPoint: 0)
        func draft(_ validUntil: String) throws -> String {
            try fixture.created(
                "/sales-orders",
                #"{"customer_id":"\#(customer)","valid_until":"\#(validUntil)","lines":[{"item_id":"\#(item)","quantity":1}]}"#
            )
        }
        let soon = try draft(AlertFixture.date(3))
        _ = try draft(AlertFixture.date(30))
        let open = try fixture.alerts("kind=quotation_expiring&status=open")
        #expect(open.map { $0["subject"]?["id"]?.stringValue } == [soon])
        #expect(open.first?["details"]?["days_left"]?.int64Value == 3)
        #expect(open.first?["severity"]?.stringValue == "info")
        // Cancelling the draft clears it.
        #expect(try fixture.admin.post("/sales-orders/\(soon)/cancel", "").status == 200)
        #expect(try fixture.alerts("kind=quotation_expiring&status=open").isEmpty)
    }
}
