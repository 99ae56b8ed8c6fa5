import Foundation
import HTTP
import Logging
import Routing

/// The composition root: configuration → (database, later) → router with every module's
/// routes → HTTP server.
public final class ConcordServer: @unchecked Sendable {
    public let configuration: Configuration
    public let logger: Logger
    public let metrics = Metrics()
    private var server: HTTPServer?

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The bound port once started.
    public var port: Int { server?.port ?? 0 }

    /// Builds the application and starts serving; returns once the socket is listening.
    public func start(terminationSignalFD: Int32? = nil) throws {
        var builder = RouterBuilder()
        let shutdownFlag = ShutdownFlag()
        OperationsRoutes(metrics: metrics, openAPI: Resources.openAPIDocument(), readiness: {
            shutdownFlag.isSet ? "the server is shutting down" : nil
        }).register(in: &builder)

        let application = Application(router: builder.build(), middleware: [
            RequestIDMiddleware(),
            AccessLogMiddleware(logger: logger),
            MetricsMiddleware(metrics: metrics),
            CORSMiddleware(origins: configuration.corsOrigins),
            ErrorMiddleware(logger: logger),
        ], logger: logger)

        let serverConfiguration = ServerConfiguration(
            host: configuration.host, port: configuration.port, workers: configuration.workers,
            queueCapacity: max(64, configuration.workers * 64), maxConnections: configuration.maxConnections,
            limits: ParserLimits(maxBodyBytes: configuration.maxBodyBytes),
            headerReadTimeout: configuration.headerReadTimeout, bodyReadTimeout: configuration.headerReadTimeout,
            idleTimeout: configuration.idleTimeout, shutdownGrace: configuration.shutdownGrace)
        let server = HTTPServer(configuration: serverConfiguration, responder: application, logger: logger)
        shutdownFlag.server = server
        try server.start(terminationSignalFD: terminationSignalFD)
        metrics.registerGauge("concord_http_connections_open", help: "Open client connections.") { Double(server.connectionCount) }
        metrics.registerGauge("concord_http_requests_queued", help: "Requests waiting for a worker thread.") { Double(server.queuedRequests) }
        self.server = server
        logger.info("listening", metadata: ["address": "http://\(Self.displayHost(configuration.host)):\(server.port)"])
    }

    /// Starts a graceful shutdown.
    public func shutdown() { server?.shutdown() }

    /// Blocks until the server has stopped.
    public func waitUntilStopped() { server?.waitUntilStopped() }

    static func displayHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}

/// Lets `/readyz` see the server's shutdown state before the server object exists.
final class ShutdownFlag: @unchecked Sendable {
    weak var server: HTTPServer?
    var isSet: Bool { server?.isShuttingDown ?? false }
}
