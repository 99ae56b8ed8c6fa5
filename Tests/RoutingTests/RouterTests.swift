import HTTP
import Logging
import Testing

@testable import Core
@testable import Routing

/// The router and middleware driven in memory, without sockets.
@Suite struct RouterTests {
    static func application(cors: [String] = []) -> Application {
        var router = RouterBuilder()
        router.get("/customers", access: .open, query: ["limit", "status"]) { request in
            .text("list limit=\(try request.query.int("limit") ?? 50)")
        }
        router.post("/customers", access: .open) { _ in Response(status: 201) }
        router.get("/customers/search", access: .open) { _ in .text("static") }
        router.get("/customers/{id}", access: .open) { request in .text("id=\(request.parameter("id"))") }
        router.get("/customers/{id}/contacts", access: .open) { request in
            .text("contacts of \(request.parameter("id"))")
        }
        router.get("/customers/{id}/contacts/{contact_id}", access: .open) { request in
            .text("\(request.parameter("id"))/\(request.parameter("contact_id"))")
        }
        router.get("/search/{id}", access: .open) { request in .text("param search \(request.parameter("id"))") }
        router.get("/crash", access: .open) { _ in throw Boom() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Application(
            router: router.build(),
            middleware: [
                RequestIDMiddleware(), CORSMiddleware(origins: cors), ErrorMiddleware(logger: logger),
            ], logger: logger)
    }

    struct Boom: Error {}

    static func get(_ app: Application, _ target: String, method: String = "GET", headers: HTTPHeaders = ["Host": "t"])
        -> HTTPResponse
    {
        app.respond(
            to: HTTPRequest(head: HTTPRequestHead(method: method, target: target, version: .http1_1, headers: headers)))
    }

    static func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func staticSegment_beatsParameter() {
        let app = Self.application()
        #expect(Self.text(Self.get(app, "/customers/search")) == "static")
        #expect(Self.text(Self.get(app, "/customers/42")) == "id=42")
    }

    @Test func parameterBranch_isFound_whenStaticBranchDeadEnds() {
        let app = Self.application()
        // "search" matches the static child, which has no "contacts" below it: backtrack.
        #expect(Self.text(Self.get(app, "/customers/search/contacts")) == "contacts of search")
        #expect(Self.text(Self.get(app, "/customers/7/contacts/9")) == "7/9")
    }

    @Test func unknownPath_is404Problem() throws {
        let response = Self.get(Self.application(), "/nothing/here")
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let problem = try JSONParser.parse(response.body)
        #expect(problem.objectValue?["code"] == .string("not_found"))
        #expect(problem.objectValue?["status"] == .number("404"))
        #expect(problem.objectValue?["type"] == .string("/problems/not-found"))
        #expect(problem.objectValue?["request_id"]?.stringValue == response.headers["X-Request-Id"])
    }

    @Test func knownPathWrongMethod_is405WithAllow() {
        let response = Self.get(Self.application(), "/customers/1", method: "DELETE")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
        let list = Self.get(Self.application(), "/customers", method: "PUT")
        #expect(list.headers["Allow"] == "GET, HEAD, OPTIONS, POST")
    }

    @Test func head_isServedByGetRoute() {
        let response = Self.get(Self.application(), "/customers/5", method: "HEAD")
        #expect(response.status == 200)
        #expect(Self.text(response) == "id=5")  // the server drops the body when writing
    }

    @Test func options_withoutCORS_listsAllowedMethods() {
        let response = Self.get(Self.application(), "/customers", method: "OPTIONS")
        #expect(response.status == 204)
        #expect(response.headers["Allow"]?.contains("POST") == true)
    }

    @Test func unknownQueryParameter_is400NamingIt() throws {
        let response = Self.get(Self.application(), "/customers?limit=5&colour=red")
        #expect(response.status == 400)
        let problem = try JSONParser.parse(response.body)
        #expect(problem.objectValue?["code"] == .string("unknown_parameter"))
        #expect(Self.text(response).contains("colour"))
    }

    @Test func badTypedQueryParameter_is400NamingIt() throws {
        let response = Self.get(Self.application(), "/customers?limit=many")
        #expect(response.status == 400)
        #expect(Self.text(response).contains("limit"))
    }

    @Test func percentEncodedSegments_areDecodedPerSegment() {
        let app = Self.application()
        #expect(Self.text(Self.get(app, "/customers/a%2Fb")) == "id=a/b")
        #expect(Self.get(app, "/customers/%zz").status == 400)
        #expect(Self.get(app, "/customers/%00").status == 400)
    }

    @Test func emptySegment_neverMatchesParameter() {
        #expect(Self.get(Self.application(), "/customers//contacts").status == 404)
    }

    @Test(
        arguments: [
            ("", []), ("/", []), ("//", []), ("/a", ["a"]), ("/a/", ["a"]), ("/a//", ["a", ""]),
            ("/a//b", ["a", "", "b"]),
            ("//a", ["", "a"]), ("/a%2Fb/c%20d", ["a/b", "c d"]), ("/%41/", ["A"]), ("x/a", ["a"]), ("x", []),
        ] as [(String, [String])])
    func pathSegments_splitOnSlashes_dropOneTrailingSlash_andDecodeEach(path: String, expected: [String]) {
        #expect(Application.segments(Substring(path)) == expected)
    }

    @Test func pathSegments_withABadEscapeAnywhere_areRejected() {
        for path in ["/%zz", "/a/%4", "/a/b%/"] { #expect(Application.segments(Substring(path)) == nil) }
    }

    @Test func trailingSlash_matchesSameRoute() {
        #expect(Self.text(Self.get(Self.application(), "/customers/9/")) == "id=9")
    }

    @Test func clientRequestID_isEchoed_whenWellFormed() {
        let app = Self.application()
        let ok = Self.get(app, "/customers/1", headers: ["Host": "t", "X-Request-Id": "abc-123:x.y_z"])
        #expect(ok.headers["X-Request-Id"] == "abc-123:x.y_z")
        let bad = Self.get(app, "/customers/1", headers: ["Host": "t", "X-Request-Id": "has space"])
        #expect(bad.headers["X-Request-Id"] != "has space")
        #expect(bad.headers["X-Request-Id"]?.count == 32)
        let long = Self.get(
            app, "/customers/1", headers: ["Host": "t", "X-Request-Id": String(repeating: "a", count: 129)])
        #expect(long.headers["X-Request-Id"]?.count == 32)
    }

    @Test func unexpectedError_is500_withoutDetails() throws {
        let response = Self.get(Self.application(), "/crash")
        #expect(response.status == 500)
        #expect(!Self.text(response).contains("Boom"))
        let problem = try JSONParser.parse(response.body)
        #expect(problem.objectValue?["code"] == .string("internal_error"))
    }

    @Test func corsPreflight_forListedOrigin_isAnswered() {
        let app = Self.application(cors: ["https://app.example.com"])
        let response = Self.get(
            app, "/customers", method: "OPTIONS",
            headers: [
                "Host": "t", "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            ])
        #expect(response.status == 204)
        #expect(response.headers["Access-Control-Allow-Origin"] == "https://app.example.com")
        #expect(response.headers["Access-Control-Allow-Headers"]?.contains("Idempotency-Key") == true)
        #expect(response.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
        let simple = Self.get(app, "/customers/1", headers: ["Host": "t", "Origin": "https://app.example.com"])
        #expect(simple.headers["Access-Control-Expose-Headers"]?.contains("X-Request-Id") == true)
    }

    @Test func corsForUnlistedOrigin_getsNoCORSHeaders() {
        let app = Self.application(cors: ["https://app.example.com"])
        let response = Self.get(app, "/customers/1", headers: ["Host": "t", "Origin": "https://evil.example"])
        #expect(response.headers["Access-Control-Allow-Origin"] == nil)
    }
}
