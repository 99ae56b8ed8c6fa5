import Core
import Foundation
import TestSupport
import Testing

/// Every list endpoint's JSON, byte for byte, against documents kept beside this file
/// (`ListOutput/`): the demo data set plus a contact, a team and a credit note, read through
/// each list with a small page (so `next_cursor` is set) and with the default one. What differs
/// from run to run is replaced before comparing, and nothing else: ids by `<id-N>` in order of
/// first appearance within a row (so which record a row points at is still compared),
/// timestamps, dates (as days from today), cursors and key prefixes. Key order, spacing, number
/// spelling, escaping and `null`s are compared exactly; the rows as a set (see `split`).
///
/// Recording: `CONCORD_RECORD_LIST_OUTPUT=1 swift test --filter ListOutputTests` rewrites the
/// documents from the running code; a change to them is a change of the contract.
@Suite struct ListOutputTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "ListOutput")
    static let recording = ProcessInfo.processInfo.environment["CONCORD_RECORD_LIST_OUTPUT"] == "1"

    /// Each list, by the name of its document, with the query it is read with.
    static func lists(customer: String, webhook: String?) -> [(name: String, path: String)] {
        var lists: [(String, String)] = [
            ("customers", "/customers"),
            ("customers-page", "/customers?limit=2"),
            ("customers-by-name", "/customers?sort=-name&limit=3"),
            ("customers-search", "/customers?q=a"),
            ("contacts", "/customers/\(customer)/contacts"),
            ("leads", "/leads"),
            ("opportunities", "/opportunities"),
            ("activities", "/activities"),
            ("items", "/items"),
            ("items-page", "/items?limit=2"),
            ("warehouses", "/warehouses"),
            ("stock", "/stock"),
            ("stock-movements", "/stock/movements"),
            ("sales-orders", "/sales-orders"),
            ("sales-orders-page", "/sales-orders?limit=2"),
            ("suppliers", "/suppliers"),
            ("purchase-orders", "/purchase-orders"),
            ("invoices", "/invoices"),
            ("payments", "/payments"),
            ("credit-notes", "/credit-notes"),
            ("supplier-bills", "/supplier-bills"),
            ("supplier-payments", "/supplier-payments"),
            ("users", "/users"),
            ("api-keys", "/api-keys"),
            ("teams", "/teams"),
            ("webhooks", "/webhooks"),
            ("audit", "/audit?limit=5"),
        ]
        if let webhook { lists.append(("webhook-deliveries", "/webhooks/\(webhook)/deliveries")) }
        return lists
    }

    @Test func everyList_writesTheSameBytesAsItsRecordedDocument() throws {
        let app = try TestApp()
        defer { app.stop() }
        _ = try app.server.seedDemo()
        let admin = app.client()
        let customer = "CUST-000001"
        #expect(
            try admin.post(
                "/customers/\(customer)/contacts", #"{"name":"Ada Byron","email":"ada@example.com","is_primary":true}"#
            ).status == 201)
        #expect(try admin.post("/teams", #"{"name":"North"}"#).status == 201)
        let issued = try #require(
            try admin.get("/invoices?status=issued&limit=200").json["data"]?.arrayValue?.min {
                ($0["number"]?.stringValue ?? "") < ($1["number"]?.stringValue ?? "")
            }?["id"]?.stringValue)
        #expect(
            try admin.post("/credit-notes", #"{"invoice_id":"\#(issued)","amount":100,"reason":"damaged"}"#).status
                == 201)

        var mismatches: [String] = []
        var recorded: [String: [String]] = [:]
        for (name, path) in Self.lists(customer: customer, webhook: nil) {
            let reply = try admin.get(path)
            #expect(reply.status == 200, "\(path): \(reply.text)")
            let document = try #require(Self.split(reply.body), "\(path): \(reply.text)")
            // A page of a longer list: which rows it holds depends on ids drawn at random, so
            // its rows are compared with the whole list's, and its envelope exactly.
            let base = name.hasSuffix("-page") ? String(name.dropLast(5)) : nil
            let lines = [document.envelope] + (base == nil ? document.elements.sorted() : [])
            let file = Self.directory.appendingPathComponent("\(name).json")
            if Self.recording {
                try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
                try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            recorded[name] = expected
            if let base {
                let whole = Set(recorded[base]?.dropFirst() ?? [])
                if expected.first != document.envelope || !document.elements.allSatisfy(whole.contains) {
                    mismatches.append(
                        "\(path)\n  got: \(([document.envelope] + document.elements).joined(separator: "\n"))")
                }
            } else if expected != lines {
                mismatches.append(
                    "\(path)\n  expected: \(expected.joined(separator: "\n"))\n  got:      \(lines.joined(separator: "\n"))"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")

        // The contract's own examples (openapi.yaml `components/examples/<Thing>Page`): each
        // list's rows carry the members of the example's row, in the same order.
        let spec = try String(
            contentsOf: OperationsTests.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let lines = spec.split(separator: "\n", omittingEmptySubsequences: false)
        for (name, example) in Self.examples {
            let path = try #require(Self.lists(customer: customer, webhook: nil).first { $0.name == name }?.path)
            let row = try #require(try admin.get(path).json["data"]?[0]?.objectValue, "\(path) has no rows")
            let expected = Self.exampleRowKeys(example, in: lines)
            #expect(expected != nil, "openapi.yaml has no example \(example) with rows")
            #expect(row.keys == expected ?? [], "\(path) against the example \(example)")
        }
    }

    /// Lists (by document name) and the openapi.yaml example of their page.
    static let examples: [(String, String)] = [
        ("customers", "CustomerPage"), ("contacts", "ContactPage"), ("leads", "LeadPage"),
        ("opportunities", "OpportunityPage"), ("activities", "ActivityPage"), ("items", "ItemPage"),
        ("warehouses", "WarehousePage"), ("stock", "StockLevelPage"), ("stock-movements", "StockMovementPage"),
        ("sales-orders", "SalesOrderPage"), ("suppliers", "SupplierPage"), ("purchase-orders", "PurchaseOrderPage"),
        ("invoices", "InvoicePage"), ("payments", "PaymentPage"), ("credit-notes", "CreditNotePage"),
        ("supplier-bills", "SupplierBillPage"), ("supplier-payments", "SupplierPaymentPage"), ("users", "UserPage"),
        ("api-keys", "ApiKeyPage"), ("audit", "EventPage"),
    ]

    /// The member names, in order, of the first row of the example `name` under
    /// `components: examples:` (its `value: data: - …` block).
    static func exampleRowKeys(_ name: String, in lines: [Substring]) -> [String]? {
        guard let examples = lines.firstIndex(of: "  examples:"),
            let start = lines[examples...].firstIndex(of: "    \(name):"),
            lines.count > start + 3, lines[start + 1] == "      value:", lines[start + 2] == "        data:"
        else { return nil }
        let first = lines[start + 3]
        let dash = first.prefix { $0 == " " }.count
        guard first.dropFirst(dash).hasPrefix("- ") else { return nil }
        // Members sit two columns right of the dash; deeper lines belong to nested values.
        let indent = String(repeating: " ", count: dash + 2)
        func key(_ line: Substring) -> String { String(line.prefix { $0 != ":" }) }
        var keys = [key(first.dropFirst(dash + 2))]
        for line in lines[(start + 4)...] {
            guard line.hasPrefix(indent) else { break }
            let member = line.dropFirst(indent.count)
            if !member.hasPrefix(" ") && !member.hasPrefix("-") { keys.append(key(member)) }
        }
        return keys
    }

    /// A list's body as its envelope (each row replaced by `<row>`) and its rows, each as its
    /// own bytes, normalized. Rows are apart because the demo data is made in one transaction:
    /// rows with one `created_at` follow their random ids, so only the set of rows is fixed.
    static func split(_ body: [UInt8]) -> (envelope: String, elements: [String])? {
        let prefix = Array(#"{"data":["#.utf8)
        guard body.starts(with: prefix) else { return nil }
        var elements: [String] = []
        var index = prefix.count
        var start = index
        var depth = 0
        var inString = false
        while index < body.count {
            let byte = body[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || (byte == UInt8(ascii: "]") && depth > 0) {
                depth -= 1
            } else if depth == 0 && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]")) {
                if index > start { elements.append(normalize(String(decoding: body[start..<index], as: UTF8.self))) }
                start = index + 1
                if byte == UInt8(ascii: "]") { break }
            }
            index += 1
        }
        guard index < body.count else { return nil }
        let rest = normalize(String(decoding: body[(index + 1)...], as: UTF8.self))
        let rows = elements.map { _ in "<row>" }.joined(separator: ",")
        return (#"{"data":["# + rows + "]" + rest, elements)
    }

    /// The run-dependent parts of a body replaced by placeholders (see the suite's comment).
    static func normalize(_ text: String) -> String {
        var ids: [Substring: Int] = [:]
        var result = text.replacing(#/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/#) { match in
            let id = match.output
            if let number = ids[id] { return "<id-\(number)>" }
            ids[id] = ids.count + 1
            return "<id-\(ids.count)>"
        }
        result = result.replacing(#/"next_cursor":"[A-Za-z0-9_-]+"/#, with: #""next_cursor":"<cursor>""#)
        result = result.replacing(#/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/#, with: "<timestamp>")
        result = result.replacing(#/\d{4}-\d{2}-\d{2}/#) { match in
            Self.dayOffset(String(match.output)).map { "<today\($0)>" } ?? String(match.output)
        }
        result = result.replacing(#/ck_[A-Za-z0-9]{8}/#, with: "ck_<prefix>")
        return result
    }

    /// A date as days from today (`+0`, `-30`), since the demo data is dated relative to it.
    static func dayOffset(_ date: String) -> String? {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        guard let day = formatter.date(from: date), let today = formatter.date(from: formatter.string(from: Date()))
        else { return nil }
        let days = Int((day.timeIntervalSince(today) / 86_400).rounded())
        return days >= 0 ? "+\(days)" : "\(days)"
    }
}
