import App
import Core
import Foundation
import Logging
import Platform
import Routing

/// The whole application on a free loopback port against a fresh database, with a known
/// admin key. Stopped with `stop()` or at deinit.
public final class TestApp: @unchecked Sendable {
    public let server: ConcordServer
    public let databaseURL: String
    public let adminKey: String
    public var port: Int { server.port }

    public init(databaseURL: String? = nil, configure: (inout Configuration) -> Void = { _ in }) throws {
        self.databaseURL = try databaseURL ?? TestCluster.freshDatabase()
        adminKey = TestApp.newKey()
        var configuration = Configuration()
        configuration.port = 0
        configuration.databaseURL = self.databaseURL
        configuration.adminAPIKey = adminKey
        configuration.databasePoolSize = 8
        configuration.workers = 8
        // Tests hammer one key on purpose; the rate limit's own tests turn it on.
        configuration.rateLimitPerSecond = 0
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["CONCORD_TEST_LOG"] == nil ? .critical : .debug
        server = ConcordServer(configuration: configuration, logger: logger)
        try server.start()
    }

    /// A well-formed key that no database holds yet.
    public static func newKey() -> String {
        "ck_\(Crypto.randomAlphanumeric(8))_\(Crypto.randomAlphanumeric(40))"
    }

    /// A client that authenticates as the admin (or with `key`, or anonymously with "").
    public func client(key: String? = nil) -> APIClient {
        APIClient(port: port, key: key ?? adminKey)
    }

    private var stopped = false

    public func stop() {
        guard !stopped else { return }
        stopped = true
        server.shutdown()
        server.waitUntilStopped()
    }

    deinit { stop() }
}

extension TestApp {
    /// Creates a user with `role` (`sales`, `warehouse`, …) through the API and returns a key
    /// for them.
    public func key(forRole role: String) throws -> String {
        let admin = client()
        let user = try admin.post(
            "/users",
            #"{"name":"\#(role) user","email":"\#(role)-\#(UUID().uuidString)@example.com","role":"\#(role)"}"#)
        guard user.status == 201, let id = user["id"]?.stringValue else {
            throw TestFailure("creating a \(role) user: \(user)")
        }
        let issued = try admin.post("/users/\(id)/api-keys", #"{"name":"test"}"#)
        guard issued.status == 201, let key = issued["key"]?.stringValue else {
            throw TestFailure("issuing a key: \(issued)")
        }
        return key
    }

    /// The id of a new user with `role`, for `owner_id` fields.
    public func userID(role: String = "sales") throws -> String {
        let user = try client().post(
            "/users", #"{"name":"Owner","email":"owner-\#(UUID().uuidString)@example.com","role":"\#(role)"}"#)
        guard user.status == 201, let id = user["id"]?.stringValue else {
            throw TestFailure("creating a user: \(user)")
        }
        return id
    }
}

/// A setup step of a test that did not go as the test needs.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
