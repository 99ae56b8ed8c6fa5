import Core
import FoundationEssentials
import Platform
import Routing

/// `/webhooks`, their deliveries, replay, test and secret rotation.
public struct WebhookRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = []

    let service: WebhookService

    public init(service: WebhookService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Subscriptions send every event's data to another system: admins only.
        permissions.declare("webhooks.manage", roles: [], needsAllScope: true)
        let service = self.service

        router.post("/webhooks", access: .permission("webhooks.manage")) { request in
            let created = try service.create(
                try request.decode(WebhookInput.self, readOnly: WebhookEndpoint.readOnlyFields),
                actor: try request.principal())
            return try .created(
                created, location: "/webhooks/\(created.webhook.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(created.webhook.version)])
        }
        router.get("/webhooks", access: .permission("webhooks.manage"), query: PageRequest.parameters) { request in
            try .json(service.list(page: try PageRequest(request)))
        }
        router.record(
            "/webhooks/{id}", read: "webhooks.manage", write: "webhooks.manage", key: Self.id,
            get: service.endpoint, readOnly: WebhookEndpoint.readOnlyFields, update: service.update,
            delete: service.delete)
        router.post("/webhooks/{id}/rotate-secret", access: .permission("webhooks.manage")) { request in
            try .json(service.rotateSecret(try Self.id(request), actor: try request.principal()))
        }
        router.post("/webhooks/{id}/test", access: .permission("webhooks.manage")) { request in
            try .json(service.sendTest(try Self.id(request), actor: try request.principal()), status: 202)
        }
        router.get(
            "/webhooks/{id}/deliveries", access: .permission("webhooks.manage"),
            query: PageRequest.parameters.union(["status"])
        ) { request in
            try .json(
                service.deliveries(
                    try Self.id(request), status: try request.query.oneOf("status", WebhookDelivery.Status.self),
                    page: try PageRequest(request, filters: ["status"])))
        }
        router.get("/webhooks/{id}/deliveries/{delivery_id}", access: .permission("webhooks.manage")) { request in
            try .json(
                service.delivery(
                    try Self.id(request), deliveryID: try request.uuidParameter("delivery_id", resource: "delivery")))
        }
        router.post("/webhooks/{id}/deliveries/{delivery_id}/replay", access: .permission("webhooks.manage")) {
            request in
            try .json(
                service.replay(
                    try Self.id(request), deliveryID: try request.uuidParameter("delivery_id", resource: "delivery"),
                    actor: try request.principal()), status: 202)
        }
    }

    static func id(_ request: Request) throws -> UUID { try request.uuidParameter("id", resource: "webhook") }
}

/// Answered with its version as ETag.
extension WebhookEndpoint: VersionedRecord {}
