import Foundation

extension TestApp {
    /// A new team's id.
    public func team(_ name: String) throws -> String {
        let reply = try client().post("/teams", #"{"name":"\#(name) \#(UUID().uuidString.prefix(6))"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("team: \(reply)") }
        return id
    }

    /// A user with `role` in `team` whose data scope is `scope` (`own`, `team`, `all`), and a
    /// client holding a key of theirs.
    public func scopedUser(role: String = "sales", team: String?, scope: String) throws -> (
        id: String, client: APIClient
    ) {
        let admin = client()
        let teamMember = team.map { #","team_id":"\#($0)""# } ?? ""
        let user = try admin.post(
            "/users",
            #"{"name":"\#(role) \#(scope)","email":"\#(role)-\#(UUID().uuidString)@example.com","role":"\#(role)","data_scope":"\#(scope)"\#(teamMember)}"#
        )
        guard user.status == 201, let id = user["id"]?.stringValue else { throw TestFailure("user: \(user)") }
        let issued = try admin.post("/users/\(id)/api-keys", #"{"name":"test"}"#)
        guard issued.status == 201, let key = issued["key"]?.stringValue else { throw TestFailure("key: \(issued)") }
        return (id, client(key: key))
    }
}
