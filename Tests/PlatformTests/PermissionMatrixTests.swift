import Foundation
import TestSupport
import Testing

/// Who may call what, written down from API.md ("Auth": admin all; sales customers, CRM, sales
/// orders, read stock and invoices; warehouse items, stock, shipments, purchasing receipts, read
/// orders; finance invoices, payments, credit notes, reports, read everything commercial;
/// readonly every GET except users and API keys) and, where API.md is silent, from the roles
/// each operation of openapi.yaml names. It is deliberately not read from the code under test:
/// every route is probed for every role over HTTP.
@Suite struct PermissionMatrixTests {
    /// Role letters: A admin, S sales, W warehouse, F finance, R readonly; "*" open to anyone.
    static let matrix: [(method: String, path: String, roles: String)] = [
        ("GET", "/healthz", "*"), ("GET", "/livez", "*"), ("GET", "/readyz", "*"), ("GET", "/metrics", "*"),
        ("GET", "/openapi.yaml", "*"), ("GET", "/docs", "*"), ("GET", "/problems/{slug}", "*"),
        ("GET", "/me", "ASWFR"),
        // Users and API keys: admin only, for reading too.
        ("GET", "/users", "A"), ("POST", "/users", "A"), ("GET", "/users/{id}", "A"), ("PATCH", "/users/{id}", "A"),
        ("GET", "/users/{id}/history", "A"), ("POST", "/users/{id}/api-keys", "A"),
        ("PATCH", "/users/{id}/api-keys/{key_id}", "A"),
        ("GET", "/api-keys", "A"),
        ("GET", "/api-keys/{id}", "A"), ("DELETE", "/api-keys/{id}", "A"),
        // Teams: admin only.
        ("GET", "/teams", "A"), ("POST", "/teams", "A"), ("GET", "/teams/{id}", "A"), ("PATCH", "/teams/{id}", "A"),
        ("DELETE", "/teams/{id}", "A"), ("PUT", "/teams/{id}/assignment", "A"),
        ("GET", "/events", "AFR"),
        // openapi.yaml narrows readonly's "every GET": the audit trail names people and keys.
        ("GET", "/audit", "A"),
        // Customers: sales writes; every role reads the master.
        ("GET", "/customers", "ASWFR"), ("POST", "/customers", "AS"), ("POST", "/customers/batch", "AS"),
        ("GET", "/customers/{id}", "ASWFR"), ("PATCH", "/customers/{id}", "AS"), ("DELETE", "/customers/{id}", "AS"),
        ("POST", "/customers/{id}/merge", "AS"), ("POST", "/customers/{id}/reassign", "AS"),
        ("PATCH", "/customers/{id}/credit", "AF"),
        ("GET", "/customers/{id}/history", "ASWFR"),
        ("GET", "/customers/{id}/summary", "ASWFR"), ("GET", "/customers/{id}/contacts", "ASWFR"),
        ("POST", "/customers/{id}/contacts", "AS"), ("GET", "/customers/{id}/contacts/{contact_id}", "ASWFR"),
        ("PATCH", "/customers/{id}/contacts/{contact_id}", "AS"),
        ("DELETE", "/customers/{id}/contacts/{contact_id}", "AS"),
        // CRM: sales writes; finance (commercial) and readonly read; warehouse has no business there.
        ("GET", "/leads", "ASFR"), ("POST", "/leads", "AS"), ("POST", "/leads/batch", "AS"),
        ("GET", "/leads/{id}", "ASFR"),
        ("PATCH", "/leads/{id}", "AS"), ("DELETE", "/leads/{id}", "AS"), ("POST", "/leads/{id}/convert", "AS"),
        ("POST", "/leads/{id}/reassign", "AS"),
        ("GET", "/leads/{id}/history", "ASFR"),
        ("GET", "/opportunities", "ASFR"), ("POST", "/opportunities", "AS"), ("GET", "/opportunities/{id}", "ASFR"),
        ("PATCH", "/opportunities/{id}", "AS"), ("POST", "/opportunities/{id}/win", "AS"),
        ("POST", "/opportunities/{id}/lose", "AS"), ("POST", "/opportunities/{id}/reassign", "AS"),
        ("POST", "/opportunities/{id}/reopen", "AS"),
        ("GET", "/opportunities/{id}/history", "ASFR"),
        ("GET", "/activities", "ASFR"), ("POST", "/activities", "AS"), ("GET", "/activities/{id}", "ASFR"),
        ("PATCH", "/activities/{id}", "AS"), ("DELETE", "/activities/{id}", "AS"),
        ("POST", "/activities/{id}/complete", "AS"),
        ("GET", "/activities/{id}/history", "ASFR"), ("GET", "/reports/pipeline", "ASFR"),
        // Items and pricing: warehouse writes items; tier discounts are admin only.
        ("GET", "/items", "ASWFR"), ("POST", "/items", "AW"), ("POST", "/items/batch", "AW"),
        ("GET", "/items/{id}", "ASWFR"),
        ("PATCH", "/items/{id}", "AW"), ("DELETE", "/items/{id}", "AW"), ("GET", "/items/{id}/history", "ASWFR"),
        ("GET", "/items/{id}/price", "ASWFR"), ("GET", "/pricing/tiers", "ASWFR"),
        ("GET", "/pricing/tiers/{tier}", "ASWFR"),
        ("PUT", "/pricing/tiers/{tier}", "A"),
        // Warehouses and stock: warehouse writes; sales reads stock; the valuation carries costs.
        ("GET", "/warehouses", "ASWFR"), ("POST", "/warehouses", "AW"), ("GET", "/warehouses/{id}", "ASWFR"),
        ("PATCH", "/warehouses/{id}", "AW"), ("GET", "/warehouses/{id}/history", "ASWFR"),
        ("GET", "/stock", "ASWFR"), ("GET", "/stock/movements", "ASWFR"), ("GET", "/stock/movements/{id}", "ASWFR"),
        ("POST", "/stock/adjustments", "AW"), ("POST", "/stock/transfers", "AW"),
        ("GET", "/reports/stock-valuation", "AWFR"),
        // Sales orders: sales writes, sales and finance confirm, warehouse ships, finance invoices.
        ("GET", "/sales-orders", "ASWFR"), ("POST", "/sales-orders", "AS"), ("GET", "/sales-orders/{id}", "ASWFR"),
        ("PATCH", "/sales-orders/{id}", "AS"), ("POST", "/sales-orders/{id}/confirm", "ASF"),
        ("POST", "/sales-orders/{id}/unconfirm", "AS"), ("POST", "/sales-orders/{id}/cancel", "AS"),
        ("POST", "/sales-orders/{id}/close", "AS"), ("GET", "/sales-orders/{id}/shipments", "ASWFR"),
        ("POST", "/sales-orders/{id}/shipments", "AW"), ("GET", "/sales-orders/{id}/shipments/{shipment_id}", "ASWFR"),
        ("POST", "/sales-orders/{id}/invoice", "AF"), ("GET", "/sales-orders/{id}/history", "ASWFR"),
        ("GET", "/reports/sales", "ASWFR"),
        // Management reports: costs for admin, finance and warehouse; the KPIs and RFM for all.
        ("GET", "/reports/margin", "AWF"), ("GET", "/reports/kpis", "ASWFR"), ("GET", "/reports/customer-rfm", "ASWFR"),
        // Receivables: finance writes; sales reads; warehouse does not.
        ("GET", "/invoices", "ASFR"), ("POST", "/invoices", "AF"), ("GET", "/invoices/{id}", "ASFR"),
        ("PATCH", "/invoices/{id}", "AF"), ("POST", "/invoices/{id}/issue", "AF"),
        ("POST", "/invoices/{id}/void", "AF"),
        ("GET", "/invoices/{id}/history", "ASFR"),
        ("GET", "/payments", "ASFR"), ("POST", "/payments", "AF"), ("GET", "/payments/{id}", "ASFR"),
        ("POST", "/payments/{id}/allocate", "AF"), ("GET", "/payments/{id}/history", "ASFR"),
        ("GET", "/credit-notes", "ASFR"), ("POST", "/credit-notes", "AF"), ("GET", "/credit-notes/{id}", "ASFR"),
        ("GET", "/customers/{id}/statement", "ASFR"), ("GET", "/reports/ar-aging", "ASFR"),
        // Purchasing: finance manages suppliers and orders, warehouse receives and reads, sales has no access.
        ("GET", "/suppliers", "AWFR"), ("POST", "/suppliers", "AF"), ("GET", "/suppliers/{id}", "AWFR"),
        ("PATCH", "/suppliers/{id}", "AF"), ("DELETE", "/suppliers/{id}", "AF"),
        ("GET", "/suppliers/{id}/history", "AWFR"),
        ("GET", "/purchase-orders", "AWFR"), ("POST", "/purchase-orders", "AF"),
        ("GET", "/purchase-orders/{id}", "AWFR"),
        ("PATCH", "/purchase-orders/{id}", "AF"), ("POST", "/purchase-orders/{id}/order", "AF"),
        ("POST", "/purchase-orders/{id}/cancel", "AF"), ("GET", "/purchase-orders/{id}/receipts", "AWFR"),
        ("POST", "/purchase-orders/{id}/receipts", "AW"),
        ("GET", "/purchase-orders/{id}/receipts/{receipt_id}", "AWFR"),
        ("GET", "/purchase-orders/{id}/history", "AWFR"), ("GET", "/purchasing/suggestions", "AWFR"),
        ("POST", "/purchasing/suggestions/apply", "AF"),
        // Payables: finance writes, readonly reads; warehouse and sales have no access.
        ("POST", "/purchase-orders/{id}/bill", "AF"),
        ("GET", "/supplier-bills", "AFR"), ("POST", "/supplier-bills", "AF"), ("GET", "/supplier-bills/{id}", "AFR"),
        ("PATCH", "/supplier-bills/{id}", "AF"), ("POST", "/supplier-bills/{id}/post", "AF"),
        ("POST", "/supplier-bills/{id}/void", "AF"), ("GET", "/supplier-bills/{id}/history", "AFR"),
        ("GET", "/supplier-payments", "AFR"), ("POST", "/supplier-payments", "AF"),
        ("GET", "/supplier-payments/{id}", "AFR"), ("POST", "/supplier-payments/{id}/allocate", "AF"),
        ("GET", "/supplier-payments/{id}/history", "AFR"), ("GET", "/suppliers/{id}/statement", "AFR"),
        ("GET", "/reports/ap-aging", "AFR"), ("GET", "/reports/cash-requirements", "AFR"),
        // openapi.yaml narrows readonly's "every GET": webhook management is admin only.
        ("GET", "/webhooks", "A"), ("POST", "/webhooks", "A"), ("GET", "/webhooks/{id}", "A"),
        ("PATCH", "/webhooks/{id}", "A"),
        ("DELETE", "/webhooks/{id}", "A"), ("POST", "/webhooks/{id}/rotate-secret", "A"),
        ("POST", "/webhooks/{id}/test", "A"),
        ("GET", "/webhooks/{id}/deliveries", "A"), ("GET", "/webhooks/{id}/deliveries/{delivery_id}", "A"),
        ("POST", "/webhooks/{id}/deliveries/{delivery_id}/replay", "A"),
        // After-sales: sales works cases, every role reads them; sales and warehouse take returns
        // (they move stock and money), every role reads them; SLA policies are admin's.
        ("GET", "/cases", "ASWFR"), ("POST", "/cases", "AS"), ("GET", "/cases/{id}", "ASWFR"),
        ("PATCH", "/cases/{id}", "AS"), ("POST", "/cases/{id}/rate", "AS"), ("GET", "/cases/{id}/history", "ASWFR"),
        ("GET", "/sla-policies", "ASWFR"), ("GET", "/sla-policies/{priority}", "ASWFR"),
        ("PUT", "/sla-policies/{priority}", "A"), ("GET", "/reports/service", "ASWFR"),
        ("POST", "/sales-orders/{id}/returns", "ASW"), ("GET", "/returns", "ASWFR"), ("GET", "/returns/{id}", "ASWFR"),
        ("GET", "/returns/{id}/history", "ASWFR"),
        // Alerts: every role reads them, the working roles acknowledge; rules and ticks are admin's.
        ("GET", "/alerts", "ASWFR"), ("GET", "/alerts/{id}", "ASWFR"), ("POST", "/alerts/{id}/acknowledge", "ASWF"),
        ("POST", "/alerts/evaluate", "A"), ("GET", "/alert-rules", "ASWFR"), ("GET", "/alert-rules/{kind}", "ASWFR"),
        ("PUT", "/alert-rules/{kind}", "A"),
        // Approvals: every role reads what waits, the working roles decide (the step names who);
        // the rules are admin only, for reading too.
        ("GET", "/approvals", "ASWFR"), ("GET", "/approvals/{id}", "ASWFR"),
        ("POST", "/approvals/{id}/approve", "ASWF"), ("POST", "/approvals/{id}/reject", "ASWF"),
        ("POST", "/approvals/{id}/withdraw", "ASWF"),
        ("GET", "/approval-rules", "A"), ("POST", "/approval-rules", "A"), ("GET", "/approval-rules/{id}", "A"),
        ("DELETE", "/approval-rules/{id}", "A"),
    ]

    static let letters: [String: Character] = [
        "admin": "A", "sales": "S", "warehouse": "W", "finance": "F", "readonly": "R",
    ]

    /// The API viewer's own files under `/docs`: served to anyone, and not API operations, so
    /// openapi.yaml does not list them.
    static let viewerFiles: Set<String> = [
        "GET /docs/start.js", "GET /docs/swagger-ui/LICENSE", "GET /docs/swagger-ui/swagger-ui-bundle.js",
        "GET /docs/swagger-ui/swagger-ui.css",
    ]

    /// The operations openapi.yaml documents, as "METHOD /path".
    static func documentedOperations() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations: Set<String> = []
        var inPaths = false
        var path = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if let first = line.first, first != " " { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.dropFirst(4).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    @Test func theTableCoversEveryDocumentedOperation() throws {
        let documented = try Self.documentedOperations()
        let tabled = Set(Self.matrix.map { "\($0.method) \($0.path)" })
        #expect(Self.matrix.count == tabled.count, "an operation appears twice in the table")
        #expect(documented.subtracting(tabled).sorted() == [], "documented but not in the table")
        #expect(tabled.subtracting(documented).sorted() == [], "in the table but not documented")
    }

    @Test func everyRole_onEveryRoute_isAllowedOrRefusedAsTheTableSays() throws {
        let app = try TestApp()
        // Every route the server answers is in the table, so none goes unprobed.
        let tabled = Set(Self.matrix.map { "\($0.method) \($0.path)" })
        #expect(
            Set(app.server.routes).subtracting(tabled).subtracting(Self.viewerFiles).sorted() == [],
            "routes missing from the table")
        #expect(app.server.routes.count > 100)
        var clients: [(role: String, client: APIClient)] = [("admin", app.client())]
        for role in ["sales", "warehouse", "finance", "readonly"] {
            clients.append((role, app.client(key: try app.key(forRole: role))))
        }
        let anonymous = app.client(key: "")
        for file in Self.viewerFiles.sorted() {
            let reply = try anonymous.get(String(file.dropFirst(4)))
            #expect(reply.status == 200, "\(file) anonymously → \(reply.status)")
        }
        for route in Self.matrix {
            let path = route.path
                .replacingOccurrences(of: "{slug}", with: "payload-too-large")
                .replacingOccurrences(of: "{tier}", with: "gold")
                .replacingOccurrences(
                    of: #"\{[a-z_]+\}"#, with: UUID().uuidString.lowercased(), options: .regularExpression)
            let body: String? = ["POST", "PATCH", "PUT"].contains(route.method) ? "{}" : nil
            let contentType = route.method == "PATCH" ? "application/merge-patch+json" : "application/json"
            let name = "\(route.method) \(route.path)"
            if route.roles == "*" {
                let reply = try anonymous.send(route.method, path, body: body, contentType: contentType)
                #expect(
                    reply.status != 401 && reply.status != 403 && reply.status < 500, "\(name) anonymously → \(reply)")
                continue
            }
            let unauthenticated = try anonymous.send(route.method, path, body: body, contentType: contentType)
            #expect(unauthenticated.status == 401, "\(name) without a key → \(unauthenticated)")
            for (role, client) in clients {
                let reply = try client.send(route.method, path, body: body, contentType: contentType)
                if route.roles.contains(Self.letters[role]!) {
                    #expect(
                        reply.status != 401 && reply.status != 403 && reply.status < 500,
                        "\(role) should be allowed \(name) → \(reply)")
                } else {
                    #expect(reply.status == 403, "\(role) should be refused \(name) → \(reply)")
                    #expect(reply.code == "forbidden", "\(role) \(name) → \(reply)")
                    #expect(reply["permission"]?.stringValue?.isEmpty == false, "\(role) \(name) → \(reply)")
                }
            }
        }
    }
}
