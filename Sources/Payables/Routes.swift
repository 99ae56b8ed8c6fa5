import Core
import FoundationEssentials
import Platform
import Routing

/// `/supplier-bills`, `POST /purchase-orders/{id}/bill`, `/supplier-payments`,
/// `/suppliers/{id}/statement`, `/reports/ap-aging`, `/reports/cash-requirements`.
public struct PayablesRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.duplicateBill, .overBilling, .priceVariance]

    let service: PayablesService

    public init(service: PayablesService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // The issue of accounts payable: finance (and admin) write, readonly reads; warehouse
        // and sales have no access. Accepting a price variance is its own right.
        permissions.declare("payables.read", roles: [.finance, .readonly])
        permissions.declare("payables.write", roles: [.finance])
        permissions.declare("payables.accept_variance", roles: [.finance])
        registerBills(in: &router, permissions: permissions)
        registerPayments(in: &router)
        let service = self.service

        router.get("/suppliers/{id}/statement", access: .permission("payables.read"), query: ["from", "to"]) {
            request in
            let from = try request.query.date("from"), to = try request.query.date("to")
            if let from, let to, to < from { throw AppError.invalidParameter("to", "must not be before from") }
            return try .json(
                service.statement(
                    supplier: try request.documentKey("id", prefix: "SUP", resource: "supplier"), from: from, to: to))
        }
        router.get("/reports/ap-aging", access: .permission("payables.read"), query: ["as_of", "currency"]) {
            request in
            .json(
                try service.aging(
                    asOf: try request.query.date("as_of") ?? LocalDate.today(),
                    currency: try Self.currency(request, default: service.currency)))
        }
        router.get(
            "/reports/cash-requirements", access: .permission("payables.read"), query: ["until", "currency"]
        ) { request in
            try .json(
                service.cashRequirements(
                    until: try request.query.date("until") ?? LocalDate.today(),
                    currency: try Self.currency(request, default: service.currency)))
        }
    }

    private func registerBills(in router: inout RouterBuilder, permissions: PermissionTable) {
        let service = self.service
        router.post("/supplier-bills", access: .permission("payables.write")) { request in
            let bill = try service.createBill(
                try request.decode(SupplierBillInput.self, readOnly: SupplierBill.readOnlyFields),
                actor: try request.principal())
            return try Self.created(bill)
        }
        router.post("/purchase-orders/{id}/bill", access: .permission("payables.write")) { request in
            let key = try request.documentKey("id", prefix: "PO", resource: "purchase order")
            let bill = try service.billOrder(
                key, try request.decode(OrderBillRequest.self), actor: try request.principal())
            return try Self.created(bill)
        }
        let filters = ["status", "supplier_id", "purchase_order_id", "overdue", "q", "sort"]
        router.get(
            "/supplier-bills", access: .permission("payables.read"), query: PageRequest.parameters.union(filters)
        ) { request in
            var filter = BillFilter()
            filter.status = try request.query.oneOf("status", SupplierBill.Status.self)
            filter.supplierId = try request.query.uuid("supplier_id")
            filter.purchaseOrderId = try request.query.uuid("purchase_order_id")
            filter.overdue = try request.query.bool("overdue")
            filter.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listBills(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/supplier-bills/{id}", read: "payables.read", write: "payables.write", key: Self.bill, get: service.bill,
            readOnly: SupplierBill.readOnlyFields, update: service.updateBill)
        router.post("/supplier-bills/{id}/post", access: .permission("payables.write")) { request in
            let key = try Self.bill(request)
            let input = request.body.isEmpty ? PostRequest() : try request.decode(PostRequest.self)
            let principal = try request.principal()
            let accept = input.acceptVariance ?? false
            if accept { try permissions.require("payables.accept_variance", for: principal) }
            // 202 with the approval when a rule holds the bill back.
            let gated = try service.post(
                key, acceptVariance: accept, ifMatch: Versioning.ifMatch(request), actor: principal)
            return try Versioning.respond(request, gated, version: gated.document.version)
        }
        router.post("/supplier-bills/{id}/void", access: .permission("payables.write")) { request in
            let bill = try service.void(
                try Self.bill(request), ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, bill, version: bill.version)
        }
        EventRoutes.history(
            for: "supplier_bill", template: "/supplier-bills/{id}/history", permission: "payables.read",
            events: service.events, resolve: { request in try service.bill(try Self.bill(request)).id }, in: &router)
    }

    private func registerPayments(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/supplier-payments", access: .permission("payables.write")) { request in
            let payment = try service.createPayment(
                try request.decode(SupplierPaymentInput.self, readOnly: SupplierPayment.readOnlyFields),
                actor: try request.principal())
            return try .created(
                payment, location: "/supplier-payments/\(payment.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(payment.version)])
        }
        let filters = ["supplier_id", "unapplied", "sort"]
        router.get(
            "/supplier-payments", access: .permission("payables.read"), query: PageRequest.parameters.union(filters)
        ) { request in
            try .json(
                service.listPayments(
                    supplierID: try request.query.uuid("supplier_id"), unapplied: try request.query.bool("unapplied"),
                    descending: try request.query.sort(["created_at"])?.descending ?? false,
                    page: try PageRequest(request, filters: filters)))
        }
        router.record("/supplier-payments/{id}", read: "payables.read", key: Self.payment, get: service.payment)
        router.post("/supplier-payments/{id}/allocate", access: .permission("payables.write")) { request in
            let input = request.body.isEmpty ? AllocateRequest() : try request.decode(AllocateRequest.self)
            let payment = try service.allocate(
                try Self.payment(request), input, ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, payment, version: payment.version)
        }
        EventRoutes.history(
            for: "supplier_payment", template: "/supplier-payments/{id}/history", permission: "payables.read",
            events: service.events, resolve: { request in try service.payment(try Self.payment(request)).id },
            in: &router)
    }

    static func created(_ bill: SupplierBill) throws -> Response {
        try .created(
            bill, location: "/supplier-bills/\(bill.id.uuidString.lowercased())",
            headers: ["ETag": Versioning.etag(bill.version)])
    }

    /// `?currency=`, an active ISO 4217 code; the installation's when absent.
    static func currency(_ request: Request, default installation: String) throws -> String {
        let currency = try request.query.string("currency") ?? installation
        guard Currency(currency) != nil else {
            throw AppError.invalidParameter("currency", "must be an ISO 4217 currency code")
        }
        return currency
    }

    static func bill(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "BILL", resource: "supplier bill")
    }
    static func payment(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "SPAY", resource: "supplier payment")
    }
}

/// Answered with its version as ETag.
extension SupplierBill: VersionedRecord {}
extension SupplierPayment: VersionedRecord {}
