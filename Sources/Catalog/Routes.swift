import Core
import FoundationEssentials
import Platform
import Routing

/// `/items`, `/items/{id}/history`, `/items/{id}/price`, `/pricing/tiers`.
public struct CatalogRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.duplicateItem, .itemInUse, .itemHasStock]

    let service: CatalogService

    public init(service: CatalogService) { self.service = service }

    /// Declares the permissions and adds the routes of items and pricing.
    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": `warehouse` manages items; `sales`, `finance` and `readonly` read them.
        // Tier discounts are commercial policy: admin only.
        permissions.declare("items.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("items.write", roles: [.warehouse])
        permissions.declare("pricing.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("pricing.write", roles: [])
        let service = self.service

        router.post("/items", access: .permission("items.write")) { request in
            let input = try request.decode(ItemCreate.self, readOnly: ItemCreate.readOnly)
            let item = try service.createItem(input, actor: try request.principal())
            return try .created(
                item, location: "/items/\(item.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(item.version)])
        }
        router.post("/items/batch", access: .permission("items.write")) { request in
            let actor = try request.principal()
            return try Batch.run(request, pool: service.pool) { _, item in
                try service.createItem(
                    try item.decodeModel(ItemCreate.self, readOnly: ItemCreate.readOnly), actor: actor)
            }
        }
        let filters = ["active", "type", "q", "external_ref", "sort"]
        router.get("/items", access: .permission("items.read"), query: PageRequest.parameters.union(filters)) {
            request in
            let filter = ItemFilter(
                active: try request.query.bool("active"), type: try request.query.oneOf("type", ItemType.self),
                q: try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 },
                externalRef: try request.query.string("external_ref"))
            let sort = try ItemSort(try request.query.string("sort"))
            return try .json(service.listItems(filter, sort: sort, page: try PageRequest(request, filters: filters)))
        }
        router.record("/items/{id}", read: "items.read", key: RecordKey.uuid("item"), get: service.item)
        router.patch("/items/{id}", access: .permission("items.write")) { request in
            let patch = try request.decode(ItemPatch.self, readOnly: ItemPatch.readOnly)
            let item = try service.updateItem(
                try request.uuidParameter("id", resource: "item"), patch: patch,
                ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, item, version: item.version)
        }
        router.delete("/items/{id}", access: .permission("items.write")) { request in
            try service.deleteItem(
                try request.uuidParameter("id", resource: "item"),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return .noContent
        }
        EventRoutes.history(
            for: "item", template: "/items/{id}/history", permission: "items.read", events: service.events,
            resolve: { request in
                let id = try request.uuidParameter("id", resource: "item")
                _ = try service.item(id)  // 404 for an item that does not exist
                return id
            }, in: &router)
        router.get("/items/{id}/price", access: .permission("pricing.read"), query: ["tier"]) { request in
            let id = try request.uuidParameter("id", resource: "item")
            guard let tier = try request.query.oneOf("tier", CustomerTier.self) else {
                throw AppError.invalidParameter("tier", "is required (one of: standard, silver, gold, platinum)")
            }
            return try .json(service.price(itemID: id, tier: tier))
        }

        router.get("/pricing/tiers", access: .permission("pricing.read")) { _ in
            try .json(PricingTierList(data: service.tiers()))
        }
        router.record("/pricing/tiers/{tier}", read: "pricing.read", key: Self.tier, get: service.tier)
        router.put("/pricing/tiers/{tier}", access: .permission("pricing.write")) { request in
            let tier = try Self.tier(request)
            let input = try request.decode(PricingTierUpdate.self, readOnly: PricingTierUpdate.readOnly)
            let updated = try service.setTierDiscount(
                tier, discountPercent: input.discountPercent,
                ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, updated, version: updated.version)
        }
    }

    static func tier(_ request: Request) throws -> CustomerTier {
        guard let tier = CustomerTier(rawValue: request.parameter("tier")) else { throw AppError.notFound("tier") }
        return tier
    }
}

/// Answered with its version as ETag.
extension Item: VersionedRecord {}
extension PricingTier: VersionedRecord {}
