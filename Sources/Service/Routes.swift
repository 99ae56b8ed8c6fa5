import Core
import FoundationEssentials
import Platform
import Routing

/// `/cases` with their actions and history, `/sla-policies`, `POST /sales-orders/{id}/returns`,
/// `/returns`, `/reports/service`.
public struct ServiceRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.overReturn, .alreadyRated]

    let service: AfterSalesService

    public init(service: AfterSalesService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Cases are customer care: sales works them, everyone commercial reads them. Returns
        // move stock and money: sales and warehouse take them, finance reads. SLA policies are
        // service policy: admin only.
        permissions.declare("cases.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("cases.write", roles: [.sales])
        permissions.declare("sla_policies.write", roles: [])
        permissions.declare("returns.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("returns.write", roles: [.sales, .warehouse])
        registerCases(in: &router)
        registerReturns(in: &router)
        let service = self.service

        router.get("/sla-policies", access: .permission("cases.read")) { _ in
            try .json(PolicyList(data: service.policies()))
        }
        router.record("/sla-policies/{priority}", read: "cases.read", key: Self.priority, get: service.policy)
        router.put("/sla-policies/{priority}", access: .permission("sla_policies.write")) { request in
            let priority = try Self.priority(request)
            let policy = try service.putPolicy(
                priority,
                try request.decode(SLAPolicyInput.self, readOnly: ["priority", "created_at", "updated_at", "version"]),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, policy, version: policy.version)
        }
        router.get("/reports/service", access: .permission("cases.read"), query: ["from", "to", "group_by"]) {
            request in
            let groupBy = try request.query.string("group_by") ?? "owner"
            guard ["owner", "type", "priority"].contains(groupBy) else {
                throw AppError.invalidParameter("group_by", "must be owner, type or priority")
            }
            let from = try request.query.date("from"), to = try request.query.date("to")
            if let from, let to, to < from { throw AppError.invalidParameter("to", "must not be before from") }
            return try .json(service.report(groupBy: groupBy, from: from, to: to))
        }
    }

    private func registerCases(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/cases", access: .permission("cases.write")) { request in
            var readOnly = ServiceCase.readOnlyFields
            readOnly.insert("status")
            let serviceCase = try service.createCase(
                try request.decode(CaseInput.self, readOnly: readOnly), actor: try request.principal())
            return try .created(
                serviceCase, location: "/cases/\(serviceCase.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(serviceCase.version)])
        }
        let filters = ["status", "priority", "type", "customer_id", "owner_id", "team_id", "sla_breached", "sort"]
        router.get("/cases", access: .permission("cases.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = CaseFilter()
            filter.status = try request.query.oneOf("status", ServiceCase.Status.self)
            filter.priority = try request.query.oneOf("priority", ServiceCase.Priority.self)
            filter.type = try request.query.oneOf("type", ServiceCase.Kind.self)
            filter.customerId = try request.query.uuid("customer_id")
            filter.ownerId = try request.query.uuid("owner_id")
            filter.teamId = try request.query.uuid("team_id")
            filter.breached = try request.query.bool("sla_breached")
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listCases(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/cases/{id}", read: "cases.read", write: "cases.write", key: Self.serviceCase, get: service.serviceCase,
            readOnly: ServiceCase.fixedFields, update: service.updateCase)
        router.post("/cases/{id}/rate", access: .permission("cases.write")) { request in
            let key = try Self.serviceCase(request)
            let rated = try service.rate(
                key, try request.decode(RatingRequest.self), ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, rated, version: rated.version)
        }
        EventRoutes.history(
            for: "case", template: "/cases/{id}/history", permission: "cases.read", events: service.events,
            resolve: { request in try service.serviceCase(try Self.serviceCase(request)).id }, in: &router)
    }

    private func registerReturns(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/sales-orders/{id}/returns", access: .permission("returns.write")) { request in
            let key = try request.documentKey("id", prefix: "SO", resource: "sales order")
            let created = try service.createReturn(
                key, try request.decode(ReturnRequest.self), actor: try request.principal())
            return try .created(
                created, location: "/returns/\(created.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(created.version)])
        }
        let filters = ["customer_id", "sales_order_id", "from", "to", "sort"]
        router.get("/returns", access: .permission("returns.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = ReturnFilter()
            filter.customerId = try request.query.uuid("customer_id")
            filter.salesOrderId = try request.query.uuid("sales_order_id")
            filter.from = try request.query.date("from")
            filter.to = try request.query.date("to")
            if let from = filter.from, let to = filter.to, to < from {
                throw AppError.invalidParameter("to", "must not be before from")
            }
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listReturns(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record("/returns/{id}", read: "returns.read", key: Self.customerReturn, get: service.customerReturn)
        EventRoutes.history(
            for: "return", template: "/returns/{id}/history", permission: "returns.read", events: service.events,
            resolve: { request in try service.customerReturn(try Self.customerReturn(request)).id }, in: &router)
    }

    static func serviceCase(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "CASE", resource: "case")
    }
    static func customerReturn(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "RMA", resource: "return")
    }
    static func priority(_ request: Request) throws -> ServiceCase.Priority {
        guard let priority = ServiceCase.Priority(rawValue: request.parameter("priority")) else {
            throw AppError.notFound("SLA policy")
        }
        return priority
    }
}

/// `GET /sla-policies`.
struct PolicyList: Encodable {
    let data: [SLAPolicy]
}

/// Answered with its version as ETag.
extension ServiceCase: VersionedRecord {}
extension CustomerReturn: VersionedRecord {}
extension SLAPolicy: VersionedRecord {}
