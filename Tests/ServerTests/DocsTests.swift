import App
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `/docs` works with no internet: the page, its script and the viewer all come from Concord,
/// under a Content-Security-Policy that allows nothing else, and a real browser renders the
/// operations from it.
@Suite struct DocsTests {
    static let assets = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]

    @Test func docsPage_loadsOnlyItsOwnFiles_underStrictCSP() throws {
        let server = try OperationsTests.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let client = try RawClient(port: server.port)
        try client.send("GET /docs HTTP/1.1\r\nHost: t\r\n\r\n")
        let page = try client.readResponse()
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        let csp = try #require(page.header("Content-Security-Policy"))
        let directives = Dictionary(
            uniqueKeysWithValues: csp.split(separator: ";").map { part -> (String, String) in
                let words = part.split(separator: " ", maxSplits: 1).map(String.init)
                return (words[0], words.count > 1 ? words[1] : "")
            })
        #expect(directives["default-src"] == "'none'")
        #expect(directives["script-src"] == "'self'")
        #expect(directives["connect-src"] == "'self'")
        #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("http"))
        // Nothing from elsewhere, no inline script: every <script> names a file of ours.
        #expect(!page.text.contains("//unpkg") && !page.text.contains("https://") && !page.text.contains("http://"))
        let scripts = page.text.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 2)
        for script in scripts {
            #expect(script.hasPrefix(" src=\"/docs/"))
            #expect(script.contains("></script>"))
            #expect(script.components(separatedBy: "></script>")[0].hasSuffix("\""))
        }

        // The viewer's files are served byte for byte from Assets/swagger-ui.
        for name in Self.assets {
            try client.send("GET /docs/swagger-ui/\(name) HTTP/1.1\r\nHost: t\r\n\r\n")
            let asset = try client.readResponse()
            #expect(asset.status == 200, "\(name)")
            let onDisk = try Data(
                contentsOf: OperationsTests.repositoryRoot.appendingPathComponent("Assets/swagger-ui/\(name)"))
            #expect(asset.body == Array(onDisk), "\(name)")
        }
        try client.send("GET /docs/start.js HTTP/1.1\r\nHost: t\r\n\r\n")
        let start = try client.readResponse()
        #expect(start.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(start.text.contains("SwaggerUIBundle") && start.text.contains("/openapi.yaml"))
        try client.send("GET /docs/swagger-ui/index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 404)
    }

    /// Headless Chromium, with every host but the test server unresolvable, renders `/docs`:
    /// the DOM lists the operations of `openapi.yaml`.
    @Test func docsPage_rendersTheOperations_inHeadlessChromium() throws {
        let browser = try #require(Self.chromium(), "chromium is not installed (make test installs it)")
        let server = try OperationsTests.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("concord-docs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = browser
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            // Swagger UI renders a list of 150 or more tags and operations virtually (only what is
            // in view); a window this tall holds them all.
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=20000", "--window-size=1280,20000",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--dump-dom", "http://127.0.0.1:\(server.port)/docs",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        // One summary per operation, each with its path.
        let paths = dom.components(separatedBy: "class=\"opblock-summary-path\" data-path=\"").dropFirst().map {
            String($0.prefix { $0 != "\"" })
        }
        let document = try String(
            contentsOf: OperationsTests.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let operationCount = document.components(separatedBy: "\n").filter {
            ["    get:", "    post:", "    put:", "    patch:", "    delete:"].contains($0)
        }.count
        #expect(operationCount > 100)
        #expect(paths.count == operationCount, "rendered \(paths.count) of \(operationCount) operations")
        #expect(paths.contains("/customers/{id}/statement"))
        #expect(dom.contains("Concord API"))
    }

    /// The README names the viewer's version and the bundle's hash: both must be the files'.
    @Test func readme_namesTheViewersVersionAndHash() throws {
        let root = OperationsTests.repositoryRoot
        let bundle = try String(
            contentsOf: root.appendingPathComponent("Assets/swagger-ui/swagger-ui-bundle.js"), encoding: .utf8)
        let version = try #require(
            bundle.components(separatedBy: "PACKAGE_VERSION:\"").dropFirst().first?.prefix { $0 != "\"" })
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("[Swagger UI](https://github.com/swagger-api/swagger-ui) **\(version)**"))
        let sha = Process()
        sha.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha.arguments = [root.appendingPathComponent("Assets/swagger-ui/swagger-ui-bundle.js").path]
        let output = Pipe()
        sha.standardOutput = output
        try sha.run()
        let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        sha.waitUntilExit()
        #expect(digest.count == 64)
        #expect(readme.contains("the bundle's own sha256 is\n`\(digest)`"))
    }

    static func chromium() -> URL? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] {
                let url = URL(fileURLWithPath: "\(dir)/\(name)")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }
}
