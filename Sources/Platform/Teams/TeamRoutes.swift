import Core
import FoundationEssentials
import Routing

/// `/teams` and `/teams/{id}/assignment` (admin only).
public struct TeamRoutes: ModuleRoutes {
    public static let problemCodes: [ProblemCode] = [.teamNotEmpty]

    let service: TeamService

    public init(service: TeamService) { self.service = service }

    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        permissions.declare("teams.read", roles: [])
        permissions.declare("teams.write", roles: [])
        let service = self.service

        router.post("/teams", access: .permission("teams.write")) { request in
            let team = try service.create(
                try request.decode(TeamInput.self, readOnly: Team.readOnly), actor: try request.principal())
            return try .created(
                team, location: "/teams/\(team.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(team.version)])
        }
        router.get("/teams", access: .permission("teams.read"), query: PageRequest.parameters) { request in
            try .json(service.list(try PageRequest(request)))
        }
        router.record(
            "/teams/{id}", read: "teams.read", write: "teams.write", key: RecordKey.uuid("team"), get: service.team,
            readOnly: Team.readOnly, update: service.update, delete: service.delete)
        router.put("/teams/{id}/assignment", access: .permission("teams.write")) { request in
            let id = try request.uuidParameter("id", resource: "team")
            let team = try service.setAssignment(
                id, try request.decode(AssignmentInput.self), actor: try request.principal())
            return try Versioning.respond(request, team, version: team.version)
        }
    }
}

/// Answered with its version as ETag.
extension Team: VersionedRecord {}
