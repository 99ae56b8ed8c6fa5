import Core
import FoundationEssentials
import Platform
import Routing

/// `/customers`, `/customers/{id}/contacts`, `/customers/{id}/merge`, `/customers/{id}/history`.
public struct CustomerRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [
        .duplicateCustomer, .customerInUse, .customerMerged, .mergeNotAllowed,
    ]

    let service: CustomerService

    public init(service: CustomerService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Every role reads the master (warehouse ships to it, finance bills it); sales and admin
        // change it (API.md "Auth").
        permissions.declare("customers.read", roles: Set(Role.allCases))
        permissions.declare("customers.write", roles: [.sales])
        // API.md "Permissions": credit terms are set by admin and finance; sales reads them.
        permissions.declare("customers.credit", roles: [.finance])
        let service = self.service
        /// 403 naming `customers.credit` when a body sets a credit term without it.
        let checkCredit: @Sendable (Principal, Bool) throws -> Void = { principal, setsCredit in
            if setsCredit { try permissions.require("customers.credit", for: principal) }
        }

        router.post("/customers", access: .permission("customers.write")) { request in
            let input = try request.decode(CustomerInput.self, readOnly: Customer.readOnlyFields)
            try checkCredit(try request.principal(), input.setsCreditTerms)
            let customer = try service.create(input, actor: try request.principal())
            return try .created(
                customer, location: "/customers/\(customer.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(customer.version)])
        }
        router.post("/customers/batch", access: .permission("customers.write")) { request in
            let actor = try request.principal()
            return try Batch.run(request, pool: service.pool) { _, item in
                let input = try item.decodeModel(CustomerInput.self, readOnly: Customer.readOnlyFields)
                try checkCredit(actor, input.setsCreditTerms)
                return try service.create(input, actor: actor)
            }
        }
        let listFilters = ["q", "status", "tier", "owner_id", "tag", "external_ref", "email", "sort"]
        router.get(
            "/customers", access: .permission("customers.read"), query: PageRequest.parameters.union(listFilters)
        ) { request in
            var query = CustomerQuery()
            query.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            query.status = try request.query.oneOf("status", Customer.Status.self)
            query.tier = try request.query.oneOf("tier", CustomerTier.self)
            query.ownerId = try request.query.uuid("owner_id")
            query.tag = try request.query.string("tag")
            query.externalRef = try request.query.string("external_ref")
            query.email = try request.query.string("email")
            if let sort = try request.query.string("sort") {
                guard let field = CustomerSort(rawValue: sort.hasPrefix("-") ? String(sort.dropFirst()) : sort) else {
                    throw AppError.invalidParameter("sort", "must be one of: name, -name, created_at, -created_at")
                }
                query.sort = field
                query.descending = sort.hasPrefix("-")
            }
            return try .json(service.list(query, page: try PageRequest(request, filters: listFilters)))
        }
        router.record(
            "/customers/{id}", read: "customers.read", write: "customers.write", key: Self.key, get: service.customer,
            delete: service.delete)
        // The body is read before the key here: a bad body is a 400 even for an unknown id.
        router.patch("/customers/{id}", access: .permission("customers.write")) { request in
            let patch = try request.mergePatchBody(readOnly: Customer.readOnlyFields)
            try checkCredit(
                try request.principal(), patch["credit_limit"] != nil || patch["payment_terms_days"] != nil)
            let customer = try service.update(
                try Self.key(request), patch: patch, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, customer, version: customer.version)
        }
        router.post("/customers/{id}/merge", access: .permission("customers.write")) { request in
            let input = try request.decode(MergeRequest.self)
            let result = try service.merge(
                into: try Self.key(request), duplicateID: input.duplicateId, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try .json(result, headers: ["ETag": Versioning.etag(result.customer.version)])
        }
        // Finance sets credit terms without the rest of the master: a merge patch of those two only.
        router.patch("/customers/{id}/credit", access: .permission("customers.credit")) { request in
            let patch = try request.mergePatchBody(readOnly: Customer.readOnlyFields)
            let others = (patch.objectValue?.keys ?? []).filter { !Customer.creditFields.contains($0) }
            if !others.isEmpty {
                throw AppError.validation(
                    others.sorted().map {
                        FieldError(field: $0, message: "is not a credit term; change it with PATCH /customers/{id}")
                    })
            }
            let customer = try service.update(
                try Self.key(request), patch: patch, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, customer, version: customer.version)
        }
        router.post("/customers/{id}/reassign", access: .permission("customers.write")) { request in
            let input = try request.decode(ReassignRequest.self)
            let customer = try service.reassign(
                try Self.key(request), to: input.ownerId, actor: try request.principal())
            return try Versioning.respond(request, customer, version: customer.version)
        }
        EventRoutes.history(
            for: "customer", template: "/customers/{id}/history", permission: "customers.read",
            events: service.events, resolve: { request in try service.customer(try Self.key(request)).id }, in: &router)

        // Contacts
        router.post("/customers/{id}/contacts", access: .permission("customers.write")) { request in
            let input = try request.decode(ContactInput.self, readOnly: Contact.readOnlyFields)
            let contact = try service.createContact(
                customer: try Self.key(request), input, actor: try request.principal())
            return try .created(
                contact,
                location:
                    "/customers/\(contact.customerId.uuidString.lowercased())/contacts/\(contact.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(contact.version)])
        }
        router.get("/customers/{id}/contacts", access: .permission("customers.read"), query: PageRequest.parameters) {
            request in
            try .json(service.listContacts(customer: try Self.key(request), page: try PageRequest(request)))
        }
        router.get("/customers/{id}/contacts/{contact_id}", access: .permission("customers.read")) { request in
            let contact = try service.contact(
                customer: try Self.key(request), id: try request.uuidParameter("contact_id", resource: "contact"))
            return try Versioning.respond(request, contact, version: contact.version)
        }
        router.patch("/customers/{id}/contacts/{contact_id}", access: .permission("customers.write")) { request in
            let patch = try request.mergePatchBody(readOnly: Contact.readOnlyFields)
            let contact = try service.updateContact(
                customer: try Self.key(request), id: try request.uuidParameter("contact_id", resource: "contact"),
                patch: patch, ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, contact, version: contact.version)
        }
        router.delete("/customers/{id}/contacts/{contact_id}", access: .permission("customers.write")) { request in
            try service.deleteContact(
                customer: try Self.key(request), id: try request.uuidParameter("contact_id", resource: "contact"),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return .noContent
        }
    }

    /// The customer a `{id}` segment names: its UUID or its number (`CUST-000042`).
    static func key(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "CUST", resource: "customer")
    }
}

/// Answered with its version as ETag.
extension Customer: VersionedRecord {}
