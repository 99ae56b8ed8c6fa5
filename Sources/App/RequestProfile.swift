import Core
import FoundationEssentials
import HTTP
import Routing

extension ConcordServer {
    /// `concord profile`: answers one request `times` times in this process, through every
    /// middleware but without sockets, as the admin, and returns the last answer's status and
    /// body size. Made for instruction counts (`valgrind --tool=callgrind
    /// --collect-atstart=no --toggle-collect='*respondRepeatedly*'`, see bench/README.md): the
    /// database's own work runs in its processes, so what is counted is Concord's.
    public func profileRequest(method: String, target: String, times: Int) throws -> (status: Int, bytes: Int) {
        try withMigratedModules(poolSize: 2) { pool, modules in
            _ = try modules.users.bootstrapAdmin(configuredKey: configuration.adminAPIKey)
            let (application, _) = modules.application(
                pool: pool, configuration: configuration, logger: logger, metrics: Metrics())
            return try modules.users.withTemporaryKey(forEmail: "admin@concord.local", name: "concord profile") { key in
                let request = HTTPRequest(
                    head: HTTPRequestHead(
                        method: method, target: target, version: .http1_1,
                        headers: ["Host": "localhost", "Authorization": "Bearer \(key)"]),
                    body: [])
                // Once outside the count: prepares the statements and warms every cache.
                _ = application.respond(to: request)
                let last = Self.respondRepeatedly(application, request, times: times)
                return (last.status, last.body.count)
            }
        }
    }

    /// The loop callgrind counts (by this name), kept out of line so its calls are its own.
    @inline(never)
    static func respondRepeatedly(_ application: Application, _ request: HTTPRequest, times: Int) -> HTTPResponse {
        var last = application.respond(to: request)
        for _ in 1..<max(1, times) { last = application.respond(to: request) }
        return last
    }
}
