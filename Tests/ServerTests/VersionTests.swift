import Foundation
import TestSupport
import Testing

@testable import App

#if canImport(Glibc)
    import Glibc
#endif

/// The version is written once (`Sources/App/Version.swift`) and every place that shows it agrees:
/// `concord --version`, `/metrics`' `concord_build_info`, `openapi.yaml`'s `info.version` and the
/// CHANGELOG.
@Suite struct VersionTests {
    static let root = OperationsTests.repositoryRoot

    /// The version as scripts read it: the `static let version = "…"` line of Version.swift.
    static func versionLine() throws -> String {
        let source = try String(contentsOf: root.appendingPathComponent("Sources/App/Version.swift"), encoding: .utf8)
        let lines = source.split(separator: "\n").filter { $0.contains("public static let version = \"") }
        try #require(lines.count == 1)
        return String(lines[0].split(separator: "\"")[1])
    }

    @Test func version_isTheSameInTheBinary_metrics_openAPI_andChangelog() throws {
        let version = try Self.versionLine()
        #expect(version == Build.version)
        #expect(version.split(separator: ".").count == 3 && version.split(separator: ".").allSatisfy { Int($0) != nil })

        let binary = try ConcordBinary.run(["--version"])
        let printed = binary.stdout
        #expect(binary.status == 0)
        #expect(printed.hasPrefix("concord \(version) (commit "))

        let server = try OperationsTests.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = try RawClient(port: server.port)
        try client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let metrics = try client.readResponse().text
        #expect(metrics.contains("# TYPE concord_build_info gauge\n"))
        #expect(metrics.contains("concord_build_info{version=\"\(version)\",commit=\"\(Build.commit)\"} 1\n"))

        let document = try String(contentsOf: Self.root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let info = document.components(separatedBy: "\ninfo:\n")[1].components(separatedBy: "\n").prefix {
            $0.hasPrefix("  ")
        }
        #expect(info.contains("  version: \(version)"))

        let changelog = try String(contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        #expect(changelog.contains("\n## [\(version)] - "))
        #expect(changelog.contains("\n## [Unreleased]"))
    }

    /// The commit comes from `CONCORD_COMMIT`, else from the checkout's `HEAD`.
    @Test func commit_isTheCheckoutsHead_unlessTheEnvironmentNamesOne() throws {
        #expect(Build.resolveCommit(environment: ["CONCORD_COMMIT": "abc123"]) == "abc123")
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", Self.root.path, "rev-parse", "HEAD"]
        let output = Pipe()
        git.standardOutput = output
        try git.run()
        let head = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        git.waitUntilExit()
        try #require(git.terminationStatus == 0)
        #expect(Build.resolveCommit(environment: ["CONCORD_RESOURCES_DIR": Self.root.path]) == String(head.prefix(12)))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("concord-nogit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(Build.gitHead(in: empty) == nil)
    }
}
