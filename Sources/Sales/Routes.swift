import Core
import FoundationEssentials
import Platform
import Routing

/// `/sales-orders`, their actions and shipments, `/reports/sales`.
public struct SalesRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [
        .quotationExpired, .creditLimitExceeded, .overShipment, .nothingToInvoice, .customerNotActive,
        .duplicateSalesOrder, .invoicingUnavailable,
    ]

    let service: SalesService

    public init(service: SalesService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": sales writes orders, warehouse ships them and reads, finance reads,
        // invoices and may confirm past a credit limit; readonly reads.
        permissions.declare("sales_orders.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("sales_orders.write", roles: [.sales])
        permissions.declare("sales_orders.confirm", roles: [.sales, .finance])
        permissions.declare("sales_orders.ship", roles: [.warehouse])
        permissions.declare("sales_orders.invoice", roles: [.finance])
        // Rights inside endpoints (API.md): an explicit unit_price from admin and sales only;
        // past the credit limit only admin and finance.
        permissions.declare("sales_orders.set_price", roles: [.sales])
        permissions.declare("sales_orders.override_credit_limit", roles: [.finance])
        let service = self.service

        router.post("/sales-orders", access: .permission("sales_orders.write")) { request in
            let input = try request.decode(SalesOrderInput.self, readOnly: SalesOrder.readOnlyFields)
            if input.lines?.contains(where: { $0.unitPrice != nil }) == true {
                try permissions.require("sales_orders.set_price", for: try request.principal())
            }
            let order = try service.create(input, actor: try request.principal())
            return try .created(
                order, location: "/sales-orders/\(order.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(order.version)])
        }
        let filters = ["status", "customer_id", "created_after", "created_before", "q", "external_ref", "sort"]
        router.get(
            "/sales-orders", access: .permission("sales_orders.read"), query: PageRequest.parameters.union(filters)
        ) { request in
            var filter = SalesOrderFilter()
            filter.status = try request.query.oneOf("status", SalesOrder.Status.self)
            filter.customerId = try request.query.uuid("customer_id")
            filter.createdAfter = try request.query.timestamp("created_after")
            filter.createdBefore = try request.query.timestamp("created_before")
            filter.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            filter.externalRef = try request.query.string("external_ref")
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.list(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record("/sales-orders/{id}", read: "sales_orders.read", key: Self.key, get: service.order)
        router.patch("/sales-orders/{id}", access: .permission("sales_orders.write")) { request in
            let patch = try request.mergePatchBody(readOnly: SalesOrder.readOnlyFields)
            if patch["lines"]?.arrayValue?.contains(where: { $0["unit_price"] != nil && $0["unit_price"] != .null })
                == true
            {
                try permissions.require("sales_orders.set_price", for: try request.principal())
            }
            let order = try service.update(
                try Self.key(request), patch: patch, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, order, version: order.version)
        }
        router.post("/sales-orders/{id}/confirm", access: .permission("sales_orders.confirm")) { request in
            let input = request.body.isEmpty ? ConfirmRequest() : try request.decode(ConfirmRequest.self)
            if input.overrideCreditLimit == true {
                try permissions.require("sales_orders.override_credit_limit", for: try request.principal())
            }
            // 202 with the approval when a rule holds the order back.
            let gated = try service.confirm(
                try Self.key(request), overrideCreditLimit: input.overrideCreditLimit ?? false,
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, gated, version: gated.document.version)
        }
        for (verb, action) in [("unconfirm", service.unconfirm), ("cancel", service.cancel), ("close", service.close)]
            as [(String, @Sendable (DocumentKey, (Int) throws -> Void, Principal) throws -> SalesOrder)]
        {
            router.post("/sales-orders/{id}/\(verb)", access: .permission("sales_orders.write")) { request in
                let order = try action(try Self.key(request), Versioning.ifMatch(request), try request.principal())
                return try Versioning.respond(request, order, version: order.version)
            }
        }
        router.post("/sales-orders/{id}/shipments", access: .permission("sales_orders.ship")) { request in
            let result = try service.ship(
                try Self.key(request), try request.decode(ShipmentRequest.self), ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try .created(
                result,
                location:
                    "/sales-orders/\(result.salesOrder.id.uuidString.lowercased())/shipments/\(result.shipment.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(result.salesOrder.version)])
        }
        router.get("/sales-orders/{id}/shipments", access: .permission("sales_orders.read")) { request in
            try .json(ShipmentList(data: try service.shipments(try Self.key(request))))
        }
        router.get("/sales-orders/{id}/shipments/{shipment_id}", access: .permission("sales_orders.read")) { request in
            let id = try request.uuidParameter("shipment_id", resource: "shipment")
            guard let shipment = try service.shipments(try Self.key(request)).first(where: { $0.id == id }) else {
                throw AppError.notFound("shipment")
            }
            return try .json(shipment)
        }
        router.post("/sales-orders/{id}/invoice", access: .permission("sales_orders.invoice")) { request in
            let input = request.body.isEmpty ? InvoiceRequest() : try request.decode(InvoiceRequest.self)
            let result = try service.invoice(
                try Self.key(request), basis: input.basis ?? .shipped, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            var response = Response.json(result.invoice, status: 201)
            response.headers.add("Location", "/invoices/\(result.id.uuidString.lowercased())")
            return response
        }
        EventRoutes.history(
            for: "sales_order", template: "/sales-orders/{id}/history", permission: "sales_orders.read",
            events: service.events, resolve: { request in try service.order(try Self.key(request)).id }, in: &router)
        router.get("/reports/sales", access: .permission("sales_orders.read"), query: ["group_by", "from", "to"]) {
            request in
            let groupBy = try request.query.string("group_by") ?? "month"
            guard ["month", "customer", "item"].contains(groupBy) else {
                throw AppError.invalidParameter("group_by", "must be one of: month, customer, item")
            }
            return .json(
                try service.report(
                    groupBy: groupBy, from: try request.query.date("from"), to: try request.query.date("to")))
        }
    }

    static func key(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "SO", resource: "sales order")
    }
}

struct ShipmentList: Encodable {
    let data: [Shipment]
}

/// Answered with its version as ETag.
extension SalesOrder: VersionedRecord {}
