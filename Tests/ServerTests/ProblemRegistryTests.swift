import App
import Core
import Foundation
import TestSupport
import Testing

/// Every problem `type` a client can meet leads to a description, and every code the server
/// can answer with is written down in openapi.yaml.
@Suite struct ProblemRegistryTests {
    /// The codes openapi.yaml names: `type` links, `code` examples, the Problem schema's list of
    /// codes and any enum of them.
    static func documentedCodes() throws -> Set<String> {
        let text = try String(
            contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var codes = Set<String>()
        func collect(_ pattern: String, in text: Substring) throws {
            let regex = try Regex(pattern)
            for match in text.matches(of: regex) {
                if let word = match.output[1].substring { codes.insert(word.replacingOccurrences(of: "-", with: "_")) }
            }
        }
        try collect(#"/problems/([a-z][a-z_-]*[a-z])"#, in: text[...])
        try collect(#"\bcode: ([a-z]+(?:_[a-z]+)+|[a-z]+)\s*$"#, in: text[...])
        // The Problem schema's description lists every code in backticks after "Codes:".
        if let start = text.range(of: "Codes: "),
            let end = text.range(of: "Problems answered by", range: start.upperBound..<text.endIndex)
        {
            try collect(#"`([a-z]+(?:_[a-z]+)*)`"#, in: text[start.upperBound..<end.lowerBound])
        }
        return codes
    }

    @Test func everyDocumentedCode_resolvesUnderProblems() throws {
        let app = try TestApp()
        defer { app.stop() }
        let client = app.client(key: "")
        let documented = try Self.documentedCodes()
        #expect(documented.count > 40)
        for code in documented.sorted() {
            let slug = code.replacingOccurrences(of: "_", with: "-")
            let reply = try client.get("/problems/\(slug)")
            #expect(
                reply.status == 200,
                "\(code) is documented in openapi.yaml but /problems/\(slug) answers \(reply.status)")
            #expect(reply["code"]?.stringValue == code)
            #expect(reply["type"]?.stringValue == "/problems/\(slug)")
        }
    }

    @Test func everyCodeTheServerAnswersWith_isDocumented() throws {
        let app = try TestApp()
        defer { app.stop() }
        let registry = try #require(app.server.modules?.problems)
        let documented = try Self.documentedCodes()
        for code in registry.codes {
            #expect(documented.contains(code.rawValue), "\(code) is not written in openapi.yaml")
            #expect(try app.client(key: "").get("/problems/\(code.slug)")["status"]?.int64Value == Int64(code.status))
        }
    }

    @Test func registry_listsAWordDeclaredTwice_once_andFindsCodesBySlug() {
        let registry = ProblemRegistry(modules: [
            [ProblemCode("over_shipment", .conflict)], [ProblemCode("over_shipment", .conflict)],
        ])
        #expect(registry.codes.filter { $0.rawValue == "over_shipment" }.count == 1)
        #expect(registry.code(slug: "over-shipment")?.status == 409)
        #expect(registry.code(slug: "no-such-code") == nil)
    }
}
