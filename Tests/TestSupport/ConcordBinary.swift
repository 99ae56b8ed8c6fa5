import Foundation

/// The `concord` executable built beside the test bundle (`swift build --build-tests` builds
/// both), run once to completion for the command-line tests.
public enum ConcordBinary {
    public static var url: URL { TestCluster.repositoryRoot.appendingPathComponent(".build/debug/concord") }

    /// What one run printed and how it ended.
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Both streams, standard output first.
        public var output: String { stdout + stderr }
    }

    /// Runs `concord arguments` in the repository's root with the test process's environment
    /// plus `environment` (an empty value unsets a variable), and waits for it to exit.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value.isEmpty ? nil : value }
        process.environment = merged
        process.currentDirectoryURL = TestCluster.repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is read on its own thread so that neither pipe can fill and stall the child.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = errData.wait()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Data handed from the reader thread, waited for once.
    private final class LockedData: @unchecked Sendable {
        private let condition = NSCondition()
        private var data: Data?

        func set(_ value: Data) {
            condition.lock()
            data = value
            condition.signal()
            condition.unlock()
        }

        func wait() -> Data {
            condition.lock()
            defer { condition.unlock() }
            while data == nil { condition.wait() }
            return data!
        }
    }
}
