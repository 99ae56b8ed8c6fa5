import Core
import FoundationEssentials
import Platform
import Routing

/// `/invoices`, `/payments`, `/credit-notes`, `/customers/{id}/statement`, `/reports/ar-aging`.
public struct ReceivablesRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = []

    let service: ReceivablesService

    public init(service: ReceivablesService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": finance (and admin) write; sales and readonly read.
        permissions.declare("receivables.read", roles: [.finance, .sales, .readonly])
        permissions.declare("receivables.write", roles: [.finance])
        registerInvoices(in: &router)
        registerPayments(in: &router)
        let service = self.service

        router.post("/credit-notes", access: .permission("receivables.write")) { request in
            let note = try service.createCreditNote(
                try request.decode(CreditNoteInput.self, readOnly: CreditNote.readOnlyFields),
                actor: try request.principal())
            return try .created(note, location: "/credit-notes/\(note.id.uuidString.lowercased())")
        }
        router.get(
            "/credit-notes", access: .permission("receivables.read"),
            query: PageRequest.parameters.union(["customer_id", "invoice_id", "sort"])
        ) { request in
            try .json(
                service.listCreditNotes(
                    customerID: try request.query.uuid("customer_id"), invoiceID: try request.query.uuid("invoice_id"),
                    descending: try request.query.sort(["created_at"])?.descending ?? false,
                    page: try PageRequest(request, filters: ["customer_id", "invoice_id", "sort"])))
        }
        router.get("/credit-notes/{id}", access: .permission("receivables.read")) { request in
            try .json(service.creditNote(try request.documentKey("id", prefix: "CN", resource: "credit note")))
        }
        router.get("/customers/{id}/statement", access: .permission("receivables.read"), query: ["from", "to"]) {
            request in
            let from = try request.query.date("from"), to = try request.query.date("to")
            if let from, let to, to < from { throw AppError.invalidParameter("to", "must not be before from") }
            return try .json(
                service.statement(
                    customer: try request.documentKey("id", prefix: "CUST", resource: "customer"), from: from, to: to))
        }
        router.get("/reports/ar-aging", access: .permission("receivables.read"), query: ["as_of", "currency"]) {
            request in
            let currency = try request.query.string("currency") ?? service.customers.defaultCurrency
            guard Currency(currency) != nil else {
                throw AppError.invalidParameter("currency", "must be an ISO 4217 currency code")
            }
            return .json(
                try service.aging(asOf: try request.query.date("as_of") ?? LocalDate.today(), currency: currency))
        }
    }

    private func registerInvoices(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/invoices", access: .permission("receivables.write")) { request in
            let invoice = try service.createInvoice(
                try request.decode(InvoiceInput.self, readOnly: Invoice.readOnlyFields),
                actor: try request.principal())
            return try .created(
                invoice, location: "/invoices/\(invoice.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(invoice.version)])
        }
        let filters = ["status", "customer_id", "sales_order_id", "overdue", "q", "sort"]
        router.get("/invoices", access: .permission("receivables.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = InvoiceFilter()
            filter.status = try request.query.oneOf("status", Invoice.Status.self)
            filter.customerId = try request.query.uuid("customer_id")
            filter.salesOrderId = try request.query.uuid("sales_order_id")
            filter.overdue = try request.query.bool("overdue")
            filter.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listInvoices(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/invoices/{id}", read: "receivables.read", write: "receivables.write", key: Self.invoice,
            get: service.invoice, readOnly: Invoice.readOnlyFields, update: service.updateInvoice)
        router.post("/invoices/{id}/issue", access: .permission("receivables.write")) { request in
            let input = request.body.isEmpty ? IssueRequest() : try request.decode(IssueRequest.self)
            let invoice = try service.issue(
                try Self.invoice(request), issueDate: input.issueDate, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, invoice, version: invoice.version)
        }
        router.post("/invoices/{id}/void", access: .permission("receivables.write")) { request in
            let invoice = try service.void(
                try Self.invoice(request), ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, invoice, version: invoice.version)
        }
        EventRoutes.history(
            for: "invoice", template: "/invoices/{id}/history", permission: "receivables.read", events: service.events,
            resolve: { request in try service.invoice(try Self.invoice(request)).id }, in: &router)
    }

    private func registerPayments(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/payments", access: .permission("receivables.write")) { request in
            let payment = try service.createPayment(
                try request.decode(PaymentInput.self, readOnly: Payment.readOnlyFields),
                actor: try request.principal())
            return try .created(
                payment, location: "/payments/\(payment.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(payment.version)])
        }
        router.get(
            "/payments", access: .permission("receivables.read"),
            query: PageRequest.parameters.union(["customer_id", "unapplied", "sort"])
        ) { request in
            try .json(
                service.listPayments(
                    customerID: try request.query.uuid("customer_id"), unapplied: try request.query.bool("unapplied"),
                    descending: try request.query.sort(["created_at"])?.descending ?? false,
                    page: try PageRequest(request, filters: ["customer_id", "unapplied", "sort"])))
        }
        router.record("/payments/{id}", read: "receivables.read", key: Self.payment, get: service.payment)
        router.post("/payments/{id}/allocate", access: .permission("receivables.write")) { request in
            let input = request.body.isEmpty ? AllocateRequest() : try request.decode(AllocateRequest.self)
            let payment = try service.allocate(
                try Self.payment(request), input, ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, payment, version: payment.version)
        }
        EventRoutes.history(
            for: "payment", template: "/payments/{id}/history", permission: "receivables.read", events: service.events,
            resolve: { request in try service.payment(try Self.payment(request)).id }, in: &router)
    }

    static func invoice(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "INV", resource: "invoice")
    }
    static func payment(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "PAY", resource: "payment")
    }
}

/// Answered with its version as ETag.
extension Invoice: VersionedRecord {}
extension Payment: VersionedRecord {}
