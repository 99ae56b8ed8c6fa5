import Core
import FoundationEssentials
import Platform
import Routing

/// `/approval-rules` (admin) and `/approvals` with their decisions.
public struct ApprovalRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [
        .selfApproval, .notApprover, .approvalOutOfTurn, .alreadyDecided,
    ]

    let service: ApprovalService

    public init(service: ApprovalService) { self.service = service }

    /// Declares the permissions and adds the routes of rules and requests.
    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // Every role reads what waits; the working roles decide (each step then names the role
        // or user that may); the rules are the admin's.
        permissions.declare("approvals.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("approvals.decide", roles: [.sales, .warehouse, .finance])
        permissions.declare("approval_rules.manage", roles: [])
        let service = self.service

        router.post("/approval-rules", access: .permission("approval_rules.manage")) { request in
            let rule = try service.createRule(
                try request.decode(ApprovalRuleInput.self, readOnly: ApprovalRule.readOnlyFields),
                actor: try request.principal())
            return try .created(
                rule, location: "/approval-rules/\(rule.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(rule.version)])
        }
        router.get(
            "/approval-rules", access: .permission("approval_rules.manage"), query: PageRequest.parameters
        ) { request in
            try .json(service.rules(page: try PageRequest(request)))
        }
        router.get("/approval-rules/{id}", access: .permission("approval_rules.manage")) { request in
            let rule = try service.rule(try request.uuidParameter("id", resource: "approval rule"))
            return try Versioning.respond(request, rule, version: rule.version)
        }
        router.delete("/approval-rules/{id}", access: .permission("approval_rules.manage")) { request in
            try service.deleteRule(
                try request.uuidParameter("id", resource: "approval rule"), ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return .noContent
        }

        let filters = ["status", "mine", "document_type", "document_id"]
        router.get(
            "/approvals", access: .permission("approvals.read"), query: PageRequest.parameters.union(filters)
        ) { request in
            var filter = ApprovalFilter()
            filter.status = try request.query.oneOf("status", Approval.Status.self)
            filter.documentType = try request.query.oneOf("document_type", ApprovalDocument.self)
            filter.documentId = try request.query.uuid("document_id")
            if try request.query.bool("mine") == true { filter.mine = try request.principal() }
            return try .json(service.list(filter, page: try PageRequest(request, filters: filters)))
        }
        router.get("/approvals/{id}", access: .permission("approvals.read")) { request in
            let approval = try service.approval(try Self.key(request))
            return try Versioning.respond(request, approval, version: approval.version)
        }
        router.post("/approvals/{id}/approve", access: .permission("approvals.decide")) { request in
            let input = request.body.isEmpty ? ApproveInput(comment: nil) : try request.decode(ApproveInput.self)
            switch try service.approve(
                try Self.key(request), comment: input.comment, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            {
            case .approval(let approval):
                return try Versioning.respond(request, approval, version: approval.version)
            case .refused(let problem):
                // Answered, not thrown: the failure recorded on the approval commits.
                return problem.response(requestID: request.requestID)
            }
        }
        router.post("/approvals/{id}/reject", access: .permission("approvals.decide")) { request in
            let input = request.body.isEmpty ? RejectInput(reason: nil) : try request.decode(RejectInput.self)
            let approval = try service.reject(
                try Self.key(request), reason: input.reason, ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, approval, version: approval.version)
        }
        router.post("/approvals/{id}/withdraw", access: .permission("approvals.decide")) { request in
            if !request.body.isEmpty { _ = try request.decode(NoOptions.self) }
            let approval = try service.withdraw(
                try Self.key(request), ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, approval, version: approval.version)
        }
    }

    static func key(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "APR", resource: "approval")
    }

    struct NoOptions: Decodable {}
}

/// Answered with its version as ETag.
extension ApprovalRule: VersionedRecord {}
extension Approval: VersionedRecord {}
