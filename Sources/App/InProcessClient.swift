import Core
import FoundationEssentials
import HTTP
import Routing

/// Sends requests straight to the application, without sockets but through every middleware
/// (auth, validation, idempotency, events), so what it makes is exactly what the API makes.
struct InProcessClient {
    let application: Application
    let key: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The JSON answer of a 2xx; anything else throws with the problem's text.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        var headers: HTTPHeaders = ["Host": "localhost", "Authorization": "Bearer \(key)"]
        var bytes: [UInt8] = []
        if let body {
            bytes = JSONWriter.serialize(body)
            headers.add("Content-Type", "application/json")
            headers.add("Content-Length", String(bytes.count))
        }
        let response = application.respond(
            to: HTTPRequest(
                head: HTTPRequestHead(method: method, target: path, version: .http1_1, headers: headers),
                body: bytes))
        guard (200..<300).contains(response.status) else {
            throw Failure(
                description: "\(method) \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return (try? JSONParser.parse(response.body)) ?? .null
    }

    /// Seeding often only needs the call to succeed; the answer is there when it needs an id.
    @discardableResult
    func post(_ path: String, _ body: JSONValue = .object(JSONObject())) throws -> JSONValue {
        try call("POST", path, body)
    }
    func get(_ path: String) throws -> JSONValue { try call("GET", path) }
    @discardableResult
    func patch(_ path: String, _ body: JSONValue) throws -> JSONValue { try call("PATCH", path, body) }

    /// The `id` of the answer.
    func id(_ value: JSONValue) throws -> String {
        guard let id = value["id"]?.stringValue else { throw Failure(description: "no id in \(value)") }
        return id
    }
}
