import HTTP
import Logging
import Testing

@testable import Core
@testable import Routing

/// `Request.decode`: media type, strict JSON, field validation, unknown fields.
@Suite struct BodyDecodingTests {
    struct NewCustomer: Codable {
        var name: String
        var creditLimit: Int64?
        var lines: [Line]?
        struct Line: Codable {
            var quantity: ExactDecimal
        }
    }

    static func post(_ body: String, contentType: String? = "application/json", method: String = "POST") -> HTTPResponse
    {
        var router = RouterBuilder()
        router.add(method, "/customers", access: .open) { request in
            let customer = try request.decode(NewCustomer.self)
            return try .json(customer)
        }
        let app = Application(
            router: router.build(), middleware: [ErrorMiddleware(logger: Logger(label: "t"))],
            logger: Logger(label: "t"))
        var headers: HTTPHeaders = ["Host": "t"]
        if let contentType { headers.add("Content-Type", contentType) }
        return app.respond(
            to: HTTPRequest(
                head: HTTPRequestHead(method: method, target: "/customers", version: .http1_1, headers: headers),
                body: Array(body.utf8)))
    }

    static func code(_ response: HTTPResponse) -> String? {
        (try? JSONParser.parse(response.body))?.objectValue?["code"]?.stringValue
    }

    @Test func validBody_roundTripsInSnakeCase() {
        let response = Self.post(#"{"name":"Acme","credit_limit":1000,"lines":[{"quantity":1.5}]}"#)
        #expect(response.status == 200)
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"name":"Acme","credit_limit":1000,"lines":[{"quantity":1.5}]}"#)
    }

    @Test func nilOptional_isWrittenAsNull() {
        let response = Self.post(#"{"name":"Acme"}"#)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"name":"Acme","credit_limit":null,"lines":null}"#)
    }

    @Test func wrongContentType_is415WithAccept() {
        let response = Self.post(#"{"name":"x"}"#, contentType: "text/plain")
        #expect(response.status == 415)
        #expect(response.headers["Accept"] == "application/json")
        #expect(Self.post(#"{"name":"x"}"#, contentType: nil).status == 415)
        #expect(Self.post(#"{"name":"x"}"#, contentType: "application/json; charset=utf-8").status == 200)
    }

    @Test func mergePatch_isAcceptedOnPatchOnly() {
        #expect(Self.post(#"{"name":"x"}"#, contentType: "application/merge-patch+json", method: "PATCH").status == 200)
        #expect(Self.post(#"{"name":"x"}"#, contentType: "application/merge-patch+json").status == 415)
    }

    @Test func malformedJSON_is400() {
        let response = Self.post(#"{"name": "x",}"#)
        #expect(response.status == 400)
        #expect(Self.code(response) == "malformed_json")
    }

    @Test func duplicateKeys_are400() {
        let response = Self.post(#"{"name":"a","name":"b"}"#)
        #expect(response.status == 400)
        #expect(Self.code(response) == "malformed_json")
    }

    @Test func unknownFields_are422ListingEach() throws {
        let response = Self.post(#"{"name":"a","colour":"red","lines":[{"quantity":1,"sku":"x"}]}"#)
        #expect(response.status == 422)
        #expect(Self.code(response) == "unknown_field")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("colour"))
        #expect(text.contains("lines[0].sku"))
    }

    @Test func typeErrors_are422WithFieldPath() {
        let response = Self.post(#"{"name":"a","lines":[{"quantity":1},{"quantity":1.2345}]}"#)
        #expect(response.status == 422)
        #expect(Self.code(response) == "validation_failed")
        #expect(String(decoding: response.body, as: UTF8.self).contains("lines[1].quantity"))
        let missing = Self.post(#"{"credit_limit":1}"#)
        #expect(missing.status == 422)
        #expect(String(decoding: missing.body, as: UTF8.self).contains(#""field":"name""#))
    }
}
