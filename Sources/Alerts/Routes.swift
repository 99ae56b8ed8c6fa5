import Core
import FoundationEssentials
import Platform
import Routing

/// `/alerts` (list, get, acknowledge, evaluate) and `/alert-rules`.
public struct AlertRoutes: ModuleRoutes {
    let service: AlertService

    public init(service: AlertService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Every role that works with the records alerts are about sees and acknowledges them;
        // the rules and running a tick are the admin's.
        permissions.declare("alerts.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("alerts.acknowledge", roles: [.sales, .warehouse, .finance])
        permissions.declare("alerts.manage", roles: [])
        let service = self.service

        let filters = ["kind", "status", "customer_id", "item_id", "supplier_id"]
        router.get("/alerts", access: .permission("alerts.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = AlertFilter()
            filter.kind = try request.query.oneOf("kind", AlertKind.self)
            filter.status = try request.query.oneOf("status", Alert.Status.self)
            filter.customerID = try request.query.uuid("customer_id")
            filter.itemID = try request.query.uuid("item_id")
            filter.supplierID = try request.query.uuid("supplier_id")
            return try .json(
                service.list(
                    filter, principal: try request.principal(), page: try PageRequest(request, filters: filters)))
        }
        router.get("/alerts/{id}", access: .permission("alerts.read")) { request in
            let alert = try service.alert(try Self.id(request), principal: try request.principal())
            return try Versioning.respond(request, alert, version: alert.version)
        }
        router.post("/alerts/{id}/acknowledge", access: .permission("alerts.acknowledge")) { request in
            let id = try Self.id(request)
            let input = request.body.isEmpty ? AcknowledgeInput(note: nil) : try request.decode(AcknowledgeInput.self)
            let alert = try service.acknowledge(
                id, input, ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, alert, version: alert.version)
        }
        router.post("/alerts/evaluate", access: .permission("alerts.manage")) { request in
            // No body, or an empty object: a tick takes no options.
            if !request.body.isEmpty { _ = try request.decode(NoOptions.self) }
            return try .json(service.tick(wait: true))
        }

        router.get("/alert-rules", access: .permission("alerts.read")) { _ in
            try .json(RuleList(data: service.rules()))
        }
        router.get("/alert-rules/{kind}", access: .permission("alerts.read")) { request in
            let rule = try service.rule(try Self.kind(request))
            return try Versioning.respond(request, rule, version: rule.version)
        }
        router.put("/alert-rules/{kind}", access: .permission("alerts.manage")) { request in
            let kind = try Self.kind(request)
            let rule = try service.updateRule(
                kind, try request.decode(AlertRuleInput.self, readOnly: AlertRule.readOnlyFields),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, rule, version: rule.version)
        }
    }

    static func id(_ request: Request) throws -> UUID { try request.uuidParameter("id", resource: "alert") }

    /// An unknown kind names no rule: 404.
    static func kind(_ request: Request) throws -> AlertKind {
        guard let kind = AlertKind(rawValue: request.parameter("kind")) else { throw AppError.notFound("alert rule") }
        return kind
    }

    struct RuleList: Encodable { let data: [AlertRule] }
    struct NoOptions: Decodable {}
}

extension AlertRule: VersionedRecord {
    static let readOnlyFields: Set<String> = ["kind", "threshold_unit", "rule", "updated_at", "version"]
}
extension Alert: VersionedRecord {}
