import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Approvals over HTTP against a real PostgreSQL: a matching rule holds a document back in
/// `pending_approval` (202), frozen, until the last approval runs the action with every usual
/// check, a rejection or a withdrawal returns it to draft.
@Suite struct ApprovalTests {
    let app: TestApp
    let fixture: ApprovalFixture

    init() throws {
        app = try TestApp()
        fixture = try ApprovalFixture(app)
    }

    @Test func bigPurchaseOrder_waitsForAdmin_frozen_selfApprovalRefused_thenOrdered() throws {
        try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":100000,"currency":"USD"}"#,
            steps: #"[{"role":"admin"}]"#)
        let supplier = try fixture.supplier(), item = try fixture.item()
        let big = try fixture.purchaseOrder(supplier: supplier, item: item, quantity: 15, unitCost: 10000)

        let held = try fixture.finance.post("/purchase-orders/\(big)/order")
        #expect(held.status == 202, "\(held)")
        #expect(held["status"]?.stringValue == "pending_approval")
        #expect(held["ordered_at"] == .null)
        let approval = try #require(held["approval"])
        let number = try #require(approval["number"]?.stringValue)
        #expect(number.hasPrefix("APR-") && number.count == 10)
        #expect(approval["status"]?.stringValue == "pending")
        #expect(approval["steps"]?[0]?["role"]?.stringValue == "admin")
        #expect(approval["steps"]?[0]?["status"]?.stringValue == "pending")
        let id = try #require(approval["id"]?.stringValue)
        #expect(held.header("Location") == "/approvals/\(id)")
        // Nothing is ordered: no incoming stock.
        let stock = try fixture.admin.get("/stock?item_id=\(item)&warehouse_id=\(fixture.warehouse)")
        #expect(stock["data"]?[0]?["incoming"]?.numberText ?? "0" == "0")

        // Frozen: receipts, edits, cancel and ordering again are 409 invalid_transition.
        let receipt = try fixture.warehouseClerk.post(
            "/purchase-orders/\(big)/receipts", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        #expect(receipt.status == 409 && receipt.code == "invalid_transition", "\(receipt)")
        let edit = try fixture.finance.patch("/purchase-orders/\(big)", #"{"notes":"later"}"#)
        #expect(edit.status == 409 && edit.code == "invalid_transition", "\(edit)")
        #expect(try fixture.finance.post("/purchase-orders/\(big)/cancel").code == "invalid_transition")
        #expect(try fixture.finance.post("/purchase-orders/\(big)/order").code == "invalid_transition")

        // The requester never approves; another role than the step's is not an approver.
        let own = try fixture.finance.post("/approvals/\(id)/approve", #"{"comment":"fine by me"}"#)
        #expect(own.status == 403 && own.code == "self_approval", "\(own)")
        let clerk = try fixture.warehouseClerk.post("/approvals/\(id)/approve")
        #expect(clerk.status == 403 && clerk.code == "not_approver", "\(clerk)")

        // What waits for the admin.
        let mine = try fixture.admin.get("/approvals?mine=true")["data"]?.arrayValue ?? []
        #expect(mine.map { $0["id"]?.stringValue } == [id])
        #expect(try fixture.finance.get("/approvals?mine=true")["data"]?.arrayValue?.isEmpty == true)

        let approved = try fixture.admin.post("/approvals/\(number)/approve", #"{"comment":"budget checked"}"#)
        #expect(approved.status == 200, "\(approved)")
        #expect(approved["status"]?.stringValue == "approved")
        #expect(approved["steps"]?[0]?["comment"]?.stringValue == "budget checked")
        #expect(approved["current_step"] == .null)
        let order = try fixture.admin.get("/purchase-orders/\(big)")
        #expect(order["status"]?.stringValue == "ordered")

        // Approving twice is a 409.
        let again = try fixture.admin.post("/approvals/\(id)/approve")
        #expect(again.status == 409 && again.code == "invalid_transition", "\(again)")

        // Every decision is in the document's history and the audit trail.
        let history = try fixture.history("/purchase-orders/\(big)")
        #expect(history.contains("approval.requested") && history.contains("approval.approved"))
        #expect(history.last == "purchase_order.ordered" || history.suffix(2).contains("purchase_order.ordered"))
        let audit = try fixture.admin.get("/audit?limit=200")["data"]?.arrayValue ?? []
        #expect(audit.contains { $0["type"]?.stringValue == "approval.approved" })

        // Below the threshold the order goes through at once.
        let small = try fixture.purchaseOrder(supplier: supplier, item: item, quantity: 5, unitCost: 10000)
        let direct = try fixture.finance.post("/purchase-orders/\(small)/order")
        #expect(direct.status == 200, "\(direct)")
        #expect(direct["status"]?.stringValue == "ordered")
        #expect(direct["approval"] == nil)
    }

    @Test func discountedOrder_reservesNothingUntilFinanceApproves() throws {
        try fixture.rule(
            "sales_order", condition: #"{"type":"line_discount_above","percent":15}"#, steps: #"[{"role":"finance"}]"#)
        let customer = try fixture.customer(), item = try fixture.item(stock: 10)
        let order = try fixture.salesOrder(customer: customer, item: item, quantity: 4, discount: "20")

        let held = try fixture.sales.post("/sales-orders/\(order)/confirm")
        #expect(held.status == 202, "\(held)")
        #expect(held["status"]?.stringValue == "pending_approval")
        let id = try #require(held["approval"]?["id"]?.stringValue)
        #expect(try fixture.reserved(item) ?? "0" == "0")
        let ship = try fixture.warehouseClerk.post(
            "/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        #expect(ship.status == 409 && ship.code == "invalid_transition", "\(ship)")
        #expect(try fixture.sales.post("/sales-orders/\(order)/cancel").code == "invalid_transition")
        #expect(try fixture.sales.patch("/sales-orders/\(order)", #"{"notes":"x"}"#).code == "invalid_transition")

        let approved = try fixture.finance.post("/approvals/\(id)/approve")
        #expect(approved.status == 200, "\(approved)")
        let confirmed = try fixture.admin.get("/sales-orders/\(order)")
        #expect(confirmed["status"]?.stringValue == "confirmed")
        #expect(try fixture.reserved(item) == "4")

        // An order without such a discount confirms at once.
        let plain = try fixture.salesOrder(customer: customer, item: item, quantity: 1, discount: "15")
        #expect(try fixture.sales.post("/sales-orders/\(plain)/confirm").status == 200)
        #expect(try fixture.reserved(item) == "5")
        try fixture.expectLedgerConsistent()
    }

    @Test func lastApproval_withStockGone_answersInsufficientStock_andStaysPending() throws {
        try fixture.rule(
            "sales_order", condition: #"{"type":"line_discount_above","percent":15}"#, steps: #"[{"role":"finance"}]"#)
        let customer = try fixture.customer(), item = try fixture.item(stock: 5)
        let order = try fixture.salesOrder(customer: customer, item: item, quantity: 4, discount: "20")
        let id = try #require(try fixture.sales.post("/sales-orders/\(order)/confirm")["approval"]?["id"]?.stringValue)
        try fixture.adjust(item, by: -3)

        // With an Idempotency-Key too, the refusal is kept on the approval and replayed.
        let key = [("Idempotency-Key", "approve-\(id)")]
        let refused = try fixture.finance.post("/approvals/\(id)/approve", "{}", headers: key)
        #expect(refused.status == 409 && refused.code == "insufficient_stock", "\(refused)")
        let replayed = try fixture.finance.post("/approvals/\(id)/approve", "{}", headers: key)
        #expect(replayed.status == 409 && replayed.header("Idempotent-Replayed") == "true")
        #expect(refused["shortages"]?[0]?["available"]?.numberText == "2")
        let approval = try fixture.admin.get("/approvals/\(id)")
        #expect(approval["status"]?.stringValue == "pending")
        #expect(approval["steps"]?[0]?["status"]?.stringValue == "pending")
        #expect(approval["last_failure"]?["code"]?.stringValue == "insufficient_stock")
        #expect(try fixture.admin.get("/sales-orders/\(order)")["status"]?.stringValue == "pending_approval")
        #expect(try fixture.reserved(item) ?? "0" == "0")

        // Stock back: the same approver can approve now.
        try fixture.adjust(item, by: 3)
        let approved = try fixture.finance.post("/approvals/\(id)/approve")
        #expect(approved.status == 200, "\(approved)")
        #expect(approved["last_failure"] == .null)
        #expect(try fixture.reserved(item) == "4")
        try fixture.expectLedgerConsistent()
    }

    @Test func reject_returnsTheOrderToDraft_withTheReasonInItsHistory_andWithdrawIsTheRequesters() throws {
        try fixture.rule(
            "sales_order", condition: #"{"type":"line_discount_above","percent":15}"#, steps: #"[{"role":"finance"}]"#)
        let customer = try fixture.customer(), item = try fixture.item(stock: 10)
        let order = try fixture.salesOrder(customer: customer, item: item, quantity: 2, discount: "30")
        let id = try #require(try fixture.sales.post("/sales-orders/\(order)/confirm")["approval"]?["id"]?.stringValue)

        let noReason = try fixture.finance.post("/approvals/\(id)/reject", "{}")
        #expect(noReason.status == 422, "\(noReason)")
        let rejected = try fixture.finance.post("/approvals/\(id)/reject", #"{"reason":"30 % is too much"}"#)
        #expect(rejected.status == 200, "\(rejected)")
        #expect(rejected["status"]?.stringValue == "rejected")
        #expect(rejected["reason"]?.stringValue == "30 % is too much")
        #expect(try fixture.admin.get("/sales-orders/\(order)")["status"]?.stringValue == "draft")
        let history = try fixture.admin.get("/sales-orders/\(order)/history")["data"]?.arrayValue ?? []
        let rejection = history.first { $0["type"]?.stringValue == "approval.rejected" }
        #expect(rejection?["data"]?["reason"]?.stringValue == "30 % is too much")
        #expect(try fixture.finance.post("/approvals/\(id)/approve").code == "invalid_transition")

        // A draft again: edits work, and confirming asks anew.
        #expect(try fixture.sales.patch("/sales-orders/\(order)", #"{"notes":"ask again"}"#).status == 200)
        let second = try fixture.sales.post("/sales-orders/\(order)/confirm")
        #expect(second.status == 202)
        let secondID = try #require(second["approval"]?["id"]?.stringValue)
        #expect(secondID != id)
        let stranger = try fixture.finance.post("/approvals/\(secondID)/withdraw")
        #expect(stranger.status == 403, "\(stranger)")
        let withdrawn = try fixture.sales.post("/approvals/\(secondID)/withdraw")
        #expect(withdrawn.status == 200, "\(withdrawn)")
        #expect(withdrawn["status"]?.stringValue == "withdrawn")
        #expect(try fixture.admin.get("/sales-orders/\(order)")["status"]?.stringValue == "draft")
        let list = try fixture.admin.get("/approvals?status=withdrawn")["data"]?.arrayValue ?? []
        #expect(list.map { $0["id"]?.stringValue } == [secondID])
        #expect(try fixture.reserved(item) ?? "0" == "0")
        try fixture.expectLedgerConsistent()
    }

    @Test func stepsMergeInRuleOrder_onePersonOneStep_laterApproverWaitsItsTurn() throws {
        let first = try fixture.user("finance"), second = try fixture.user("finance")
        // Two rules match; the finance role appears in both and counts once.
        try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":1000}"#,
            steps: #"[{"user_id":"\#(first.id)"},{"role":"finance"}]"#)
        try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":500}"#,
            steps: #"[{"role":"finance"},{"role":"admin"}]"#)
        let order = try fixture.purchaseOrder(
            supplier: try fixture.supplier(), item: try fixture.item(), quantity: 2, unitCost: 1000)
        let held = try fixture.finance.post("/purchase-orders/\(order)/order")
        #expect(held.status == 202)
        let steps = held["approval"]?["steps"]?.arrayValue ?? []
        #expect(steps.map { $0["user_id"]?.stringValue ?? $0["role"]?.stringValue } == [first.id, "finance", "admin"])
        let id = try #require(held["approval"]?["id"]?.stringValue)

        let early = try fixture.admin.post("/approvals/\(id)/approve")
        #expect(early.status == 409 && early.code == "approval_out_of_turn", "\(early)")
        #expect(try first.client.post("/approvals/\(id)/approve").status == 200)
        let twice = try first.client.post("/approvals/\(id)/approve")
        #expect(twice.status == 409 && twice.code == "already_decided", "\(twice)")
        #expect(try second.client.post("/approvals/\(id)/approve")["current_step"]?.int64Value == 3)
        #expect(try fixture.admin.get("/purchase-orders/\(order)")["status"]?.stringValue == "pending_approval")
        let last = try fixture.admin.post("/approvals/\(id)/approve")
        #expect(last["status"]?.stringValue == "approved", "\(last)")
        #expect(try fixture.admin.get("/purchase-orders/\(order)")["status"]?.stringValue == "ordered")
    }

    @Test func twoApproversAtOnce_exactlyOneSucceeds() throws {
        try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":1}"#, steps: #"[{"role":"finance"}]"#)
        let approvers = try (0..<6).map { _ in try fixture.user("finance").client }
        let order = try fixture.purchaseOrder(
            supplier: try fixture.supplier(), item: try fixture.item(), quantity: 1, unitCost: 100)
        let id = try #require(try fixture.admin.post("/purchase-orders/\(order)/order")["approval"]?["id"]?.stringValue)

        let statuses = Locked<[Int]>([])
        concurrently(approvers.count) { index in
            let status = (try? approvers[index].post("/approvals/\(id)/approve").status) ?? 0
            statuses.withLock { $0.append(status) }
        }
        let all = statuses.withLock { $0 }
        #expect(all.filter { $0 == 200 }.count == 1, "\(all)")
        #expect(all.filter { $0 == 409 }.count == approvers.count - 1, "\(all)")
        let approval = try fixture.admin.get("/approvals/\(id)")
        #expect(approval["status"]?.stringValue == "approved")
        let events = try fixture.history("/purchase-orders/\(order)")
        #expect(events.filter { $0 == "purchase_order.ordered" }.count == 1)
    }

    @Test func billPosting_andCreditOverride_andMargin_waitForTheirRules() throws {
        try fixture.rule(
            "supplier_bill", condition: #"{"type":"total_at_least","amount":5000}"#, steps: #"[{"role":"admin"}]"#)
        let supplier = try fixture.supplier()
        let bill = try fixture.finance.post(
            "/supplier-bills",
            #"{"supplier_id":"\#(supplier)","supplier_reference":"B-1","lines":[{"description":"d","quantity":1,"unit_cost":6000}]}"#
        )
        let billID = try #require(bill["id"]?.stringValue)
        let held = try fixture.finance.post("/supplier-bills/\(billID)/post")
        #expect(held.status == 202 && held["status"]?.stringValue == "pending_approval", "\(held)")
        #expect(try fixture.finance.post("/supplier-bills/\(billID)/void").code == "invalid_transition")
        let approval = try #require(held["approval"]?["id"]?.stringValue)
        #expect(try fixture.admin.post("/approvals/\(approval)/approve").status == 200)
        #expect(try fixture.admin.get("/supplier-bills/\(billID)")["status"]?.stringValue == "posted")

        // Past the credit limit on finance's override: the override itself needs the admin.
        try fixture.rule("sales_order", condition: #"{"type":"credit_override"}"#, steps: #"[{"role":"admin"}]"#)
        let customer = try fixture.customer()
        #expect(try fixture.admin.patch("/customers/\(customer)", #"{"credit_limit":1500}"#).status == 200)
        let item = try fixture.item(price: 1000, stock: 10)
        let order = try fixture.salesOrder(customer: customer, item: item, quantity: 2)
        let within = try fixture.salesOrder(customer: customer, item: item, quantity: 1)
        #expect(try fixture.finance.post("/sales-orders/\(within)/confirm").status == 200)
        let over = try fixture.finance.post("/sales-orders/\(order)/confirm", #"{"override_credit_limit":true}"#)
        #expect(over.status == 202, "\(over)")
        let overID = try #require(over["approval"]?["id"]?.stringValue)
        #expect(try fixture.admin.post("/approvals/\(overID)/approve").status == 200)
        #expect(try fixture.admin.get("/sales-orders/\(order)")["status"]?.stringValue == "confirmed")

        // Margin below 30 % at the item's current average cost (800 against a price of 1000).
        try fixture.rule(
            "sales_order", condition: #"{"type":"margin_below","percent":30}"#, steps: #"[{"role":"admin"}]"#)
        let costly = try fixture.item(price: 1000)
        let po = try fixture.purchaseOrder(supplier: supplier, item: costly, quantity: 10, unitCost: 800)
        #expect(try fixture.finance.post("/purchase-orders/\(po)/order").status == 200)
        #expect(
            try fixture.warehouseClerk.post(
                "/purchase-orders/\(po)/receipts", #"{"lines":[{"line_no":1,"quantity":10}]}"#
            )
            .status == 201)
        let other = try fixture.customer()
        let thin = try fixture.salesOrder(customer: other, item: costly, quantity: 1)
        #expect(try fixture.sales.post("/sales-orders/\(thin)/confirm").status == 202)
        let fat = try fixture.salesOrder(customer: other, item: item, quantity: 1)
        #expect(try fixture.sales.post("/sales-orders/\(fat)/confirm").status == 200)
        try fixture.expectLedgerConsistent()
    }

    @Test func approvalWaitingPastItsRulesHours_opensAnAlert_resolvedByTheDecision() throws {
        try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":1}"#, steps: #"[{"role":"admin"}]"#,
            extra: #","alert_after_hours":4"#)
        let order = try fixture.purchaseOrder(
            supplier: try fixture.supplier(), item: try fixture.item(), quantity: 1, unitCost: 100)
        let id = try #require(
            try fixture.finance.post("/purchase-orders/\(order)/order")["approval"]?["id"]?.stringValue)
        func alerts() throws -> [JSONValue] {
            try fixture.admin.get("/alerts?kind=approval_waiting")["data"]?.arrayValue ?? []
        }
        #expect(try fixture.admin.post("/alerts/evaluate").status == 200)
        #expect(try alerts().isEmpty, "three hours to go")

        try TestSQL.execute(
            app.databaseURL, "UPDATE approvals SET created_at = now() - interval '5 hours' WHERE id = '\(id)'")
        #expect(try fixture.admin.post("/alerts/evaluate").status == 200)
        let open = try alerts()
        #expect(open.count == 1)
        #expect(open.first?["status"]?.stringValue == "open")
        #expect(open.first?["subject"]?["id"]?.stringValue == id)
        #expect(open.first?["details"]?["hours_waiting"]?.int64Value == 5)

        #expect(try fixture.admin.post("/approvals/\(id)/approve").status == 200)
        #expect(try alerts().first?["status"]?.stringValue == "resolved", "resolved with the decision")
    }

    @Test func salesOrderApprovals_followTheCustomersDataScope() throws {
        try fixture.rule(
            "sales_order", condition: #"{"type":"line_discount_above","percent":15}"#, steps: #"[{"role":"finance"}]"#)
        let (narrow, narrowID) = try fixture.user("sales")
        #expect(try fixture.admin.patch("/users/\(narrowID)", #"{"data_scope":"own"}"#).status == 200)
        let created = try fixture.admin.post("/customers", #"{"name":"Theirs","owner_id":"\#(narrowID)"}"#)
        let theirs = try #require(created["id"]?.stringValue, "\(created)")
        let others = try fixture.customer()
        let item = try fixture.item(stock: 10)
        var approvals: [String] = []
        for customer in [theirs, others] {
            let order = try fixture.salesOrder(customer: customer, item: item, quantity: 1, discount: "20")
            let held = try fixture.sales.post("/sales-orders/\(order)/confirm")
            approvals.append(try #require(held["approval"]?["id"]?.stringValue))
        }
        #expect(try narrow.get("/approvals/\(approvals[0])").status == 200)
        #expect(try narrow.get("/approvals/\(approvals[1])").status == 404)
        let listed = try narrow.get("/approvals")["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(listed == [approvals[0]])
        #expect(try fixture.finance.get("/approvals?status=pending")["data"]?.arrayValue?.count == 2)
        #expect(
            try fixture.finance.get("/approvals?mine=true&document_type=sales_order")["data"]?.arrayValue?.count == 2)
    }

    @Test func rules_areTheAdmins_andCheckTheirFields() throws {
        let rule = try fixture.rule(
            "purchase_order", condition: #"{"type":"total_at_least","amount":100}"#, steps: #"[{"role":"admin"}]"#)
        #expect(rule["condition"]?["currency"]?.stringValue == "USD")
        #expect(rule["active"] == .bool(true))
        let id = try #require(rule["id"]?.stringValue)
        let body = #"{"document":"sales_order","condition":{"type":"credit_override"},"steps":[{"role":"admin"}]}"#
        #expect(try fixture.finance.post("/approval-rules", body).status == 403)
        #expect(try fixture.finance.get("/approval-rules").status == 403)
        for bad in [
            #"{"document":"sales_order","condition":{"type":"margin_below"},"steps":[{"role":"admin"}]}"#,
            #"{"document":"sales_order","condition":{"type":"credit_override"},"steps":[]}"#,
            #"{"document":"sales_order","condition":{"type":"credit_override"},"steps":[{"role":"admin","user_id":"\#(UUID().uuidString)"}]}"#,
            #"{"document":"sales_order","condition":{"type":"credit_override"},"steps":[{"user_id":"\#(UUID().uuidString)"}]}"#,
            #"{"document":"purchase_order","condition":{"type":"line_discount_above","percent":5},"steps":[{"role":"admin"}]}"#,
            #"{"document":"sales_order","condition":{"type":"line_discount_above","percent":101},"steps":[{"role":"admin"}]}"#,
        ] {
            let reply = try fixture.admin.post("/approval-rules", bad)
            #expect(reply.status == 422, "\(bad) → \(reply)")
        }
        #expect(
            try fixture.admin.post(
                "/approval-rules",
                #"{"document":"invoice","condition":{"type":"credit_override"},"steps":[{"role":"admin"}]}"#
            ).status == 422)
        #expect(try fixture.admin.get("/approval-rules")["data"]?.arrayValue?.count == 1)
        #expect(try fixture.admin.delete("/approval-rules/\(id)").status == 204)
        #expect(try fixture.admin.get("/approval-rules/\(id)").status == 404)
        #expect(try fixture.admin.get("/approvals/APR-999999").status == 404)
    }
}
