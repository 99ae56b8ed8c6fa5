import Core
import FoundationEssentials
import Platform
import Routing

/// `/leads`, `/opportunities`, `/activities`, `/reports/pipeline`.
public struct CRMRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.orderCreationUnavailable]

    let service: CRMService

    public init(service: CRMService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": sales works the CRM; finance and readonly read everything commercial.
        permissions.declare("crm.read", roles: [.sales, .finance, .readonly])
        permissions.declare("crm.write", roles: [.sales])
        registerLeads(in: &router)
        registerOpportunities(in: &router)
        registerActivities(in: &router)
    }

    private func registerLeads(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/leads", access: .permission("crm.write")) { request in
            let lead = try service.createLead(
                try request.decode(LeadInput.self, readOnly: Lead.readOnlyFields), actor: try request.principal())
            return try .created(
                lead, location: "/leads/\(lead.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(lead.version)])
        }
        router.post("/leads/batch", access: .permission("crm.write")) { request in
            let actor = try request.principal()
            return try Batch.run(request, pool: service.pool) { _, item in
                try service.createLead(
                    try item.decodeModel(LeadInput.self, readOnly: Lead.readOnlyFields), actor: actor)
            }
        }
        let filters = ["status", "source", "owner_id", "q", "sort"]
        router.get("/leads", access: .permission("crm.read"), query: PageRequest.parameters.union(filters)) { request in
            try .json(
                service.listLeads(
                    status: try request.query.oneOf("status", Lead.Status.self),
                    source: try request.query.oneOf("source", Lead.Source.self),
                    ownerID: try request.query.uuid("owner_id"),
                    q: try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 },
                    descending: try request.query.sort(["created_at"])?.descending ?? false,
                    page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/leads/{id}", read: "crm.read", write: "crm.write", key: Self.lead,
            get: service.lead, readOnly: Lead.readOnlyFields, update: service.updateLead, delete: service.deleteLead)
        router.post("/leads/{id}/reassign", access: .permission("crm.write")) { request in
            let lead = try service.reassignLead(
                try Self.lead(request), to: try request.decode(ReassignRequest.self).ownerId,
                actor: try request.principal())
            return try Versioning.respond(request, lead, version: lead.version)
        }
        router.post("/leads/{id}/convert", access: .permission("crm.write")) { request in
            let conversion = try service.convert(
                try Self.lead(request), try request.decode(ConvertRequest.self),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try .json(conversion, headers: ["ETag": Versioning.etag(conversion.lead.version)])
        }
        EventRoutes.history(
            for: "lead", template: "/leads/{id}/history", permission: "crm.read", events: service.events,
            resolve: { request in try service.lead(try Self.lead(request)).id }, in: &router)
    }

    private func registerOpportunities(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/opportunities", access: .permission("crm.write")) { request in
            let opportunity = try service.createOpportunity(
                try request.decode(OpportunityInput.self, readOnly: Opportunity.readOnlyFields),
                actor: try request.principal())
            return try .created(
                opportunity, location: "/opportunities/\(opportunity.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(opportunity.version)])
        }
        let filters = [
            "stage", "customer_id", "owner_id", "expected_close_before", "expected_close_after", "q", "sort",
        ]
        router.get("/opportunities", access: .permission("crm.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = OpportunityFilter()
            filter.stage = try request.query.oneOf("stage", Opportunity.Stage.self)
            filter.customerId = try request.query.uuid("customer_id")
            filter.ownerId = try request.query.uuid("owner_id")
            filter.expectedCloseBefore = try request.query.date("expected_close_before")
            filter.expectedCloseAfter = try request.query.date("expected_close_after")
            filter.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listOpportunities(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/opportunities/{id}", read: "crm.read", write: "crm.write", key: Self.opportunity,
            get: service.opportunity, readOnly: Opportunity.readOnlyFields, update: service.updateOpportunity)
        router.post("/opportunities/{id}/reassign", access: .permission("crm.write")) { request in
            let opportunity = try service.reassignOpportunity(
                try Self.opportunity(request), to: try request.decode(ReassignRequest.self).ownerId,
                actor: try request.principal())
            return try Versioning.respond(request, opportunity, version: opportunity.version)
        }
        router.post("/opportunities/{id}/win", access: .permission("crm.write")) { request in
            let input = request.body.isEmpty ? WinRequest() : try request.decode(WinRequest.self)
            let opportunity = try service.win(
                try Self.opportunity(request), createOrder: input.createOrder ?? false,
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, opportunity, version: opportunity.version)
        }
        router.post("/opportunities/{id}/lose", access: .permission("crm.write")) { request in
            let input = try request.decode(LoseRequest.self)
            let opportunity = try service.lose(
                try Self.opportunity(request), reason: input.reason, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, opportunity, version: opportunity.version)
        }
        router.post("/opportunities/{id}/reopen", access: .permission("crm.write")) { request in
            let opportunity = try service.reopen(
                try Self.opportunity(request), ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, opportunity, version: opportunity.version)
        }
        EventRoutes.history(
            for: "opportunity", template: "/opportunities/{id}/history", permission: "crm.read", events: service.events,
            resolve: { request in try service.opportunity(try Self.opportunity(request)).id }, in: &router)
        router.get("/reports/pipeline", access: .permission("crm.read"), query: ["currency"]) { request in
            let currency = try request.query.string("currency") ?? service.customers.defaultCurrency
            guard Currency(currency) != nil else {
                throw AppError.invalidParameter("currency", "must be an ISO 4217 currency code")
            }
            return try .json(service.pipeline(currency: currency))
        }
    }

    private func registerActivities(in router: inout RouterBuilder) {
        let service = self.service
        router.post("/activities", access: .permission("crm.write")) { request in
            let activity = try service.createActivity(
                try request.decode(ActivityInput.self, readOnly: Activity.readOnlyFields),
                actor: try request.principal())
            return try .created(
                activity, location: "/activities/\(activity.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(activity.version)])
        }
        let filters = [
            "type", "owner_id", "lead_id", "opportunity_id", "customer_id", "case_id", "overdue", "completed",
            "due_before",
            "due_after", "sort",
        ]
        router.get("/activities", access: .permission("crm.read"), query: PageRequest.parameters.union(filters)) {
            request in
            var filter = ActivityFilter()
            filter.type = try request.query.oneOf("type", Activity.Kind.self)
            filter.ownerId = try request.query.uuid("owner_id")
            filter.leadId = try request.query.uuid("lead_id")
            filter.opportunityId = try request.query.uuid("opportunity_id")
            filter.customerId = try request.query.uuid("customer_id")
            filter.caseId = try request.query.uuid("case_id")
            filter.overdue = try request.query.bool("overdue")
            filter.completed = try request.query.bool("completed")
            filter.dueBefore = try request.query.timestamp("due_before")
            filter.dueAfter = try request.query.timestamp("due_after")
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listActivities(filter, page: try PageRequest(request, filters: filters)))
        }
        router.record(
            "/activities/{id}", read: "crm.read", write: "crm.write", key: RecordKey.uuid("activity"),
            get: service.activity, readOnly: Activity.readOnlyFields, update: service.updateActivity)
        router.delete("/activities/{id}", access: .permission("crm.write")) { request in
            try service.deleteActivity(
                try request.uuidParameter("id", resource: "activity"), ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return .noContent
        }
        router.post("/activities/{id}/complete", access: .permission("crm.write")) { request in
            let activity = try service.completeActivity(
                try request.uuidParameter("id", resource: "activity"),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, activity, version: activity.version)
        }
        EventRoutes.history(
            for: "activity", template: "/activities/{id}/history", permission: "crm.read", events: service.events,
            resolve: { request in try service.activity(try request.uuidParameter("id", resource: "activity")).id },
            in: &router)
    }

    static func lead(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "LEAD", resource: "lead")
    }
    static func opportunity(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "OPP", resource: "opportunity")
    }
}

/// Answered with its version as ETag.
extension Lead: VersionedRecord {}
extension Opportunity: VersionedRecord {}
extension Activity: VersionedRecord {}
