import App
import ArgumentParser
import CLinuxShims
import Foundation
import Logging

// SIGTERM/SIGINT are blocked before any thread starts, so every thread inherits the mask and
// the server reads them from a signalfd instead of running code in a signal handler.
let terminationSignals = cshim_signalfd_for_termination()

struct Concord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "One backend for CRM and ERP, over JSON and HTTP.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API (applies pending migrations first).")

    @Option(help: "Address to listen on (CONCORD_HOST).") var host: String?
    @Option(help: "Port to listen on (CONCORD_PORT).") var port: String?
    @Option(help: "Worker threads (CONCORD_WORKERS).") var workers: String?
    @Option(help: "Largest request body in bytes (CONCORD_MAX_BODY_BYTES).") var maxBodyBytes: String?
    @Option(help: "Open connections past which new ones get 503 (CONCORD_MAX_CONNECTIONS).") var maxConnections: String?
    @Option(help: "Log format, text or json (CONCORD_LOG_FORMAT).") var logFormat: String?
    @Option(help: "Log level (CONCORD_LOG_LEVEL).") var logLevel: String?

    func run() throws {
        var overrides: [String: String] = [:]
        overrides["CONCORD_HOST"] = host
        overrides["CONCORD_PORT"] = port
        overrides["CONCORD_WORKERS"] = workers
        overrides["CONCORD_MAX_BODY_BYTES"] = maxBodyBytes
        overrides["CONCORD_MAX_CONNECTIONS"] = maxConnections
        overrides["CONCORD_LOG_FORMAT"] = logFormat
        overrides["CONCORD_LOG_LEVEL"] = logLevel
        let config: App.Configuration
        do {
            config = try App.Configuration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("concord: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        let json = config.logFormat == .json
        LoggingSystem.bootstrap { label in ConcordLogHandler(label: label, level: level, json: json) }
        let logger = Logger(label: "concord")
        logger.info("starting", metadata: ["configuration": "\(config.printable.joined(separator: " "))"])
        let server = ConcordServer(configuration: config, logger: logger)
        do {
            try server.start(terminationSignalFD: terminationSignals >= 0 ? terminationSignals : nil)
        } catch {
            logger.critical("could not start: \(error)")
            throw ExitCode(1)
        }
        server.waitUntilStopped()
    }
}

Concord.main()
