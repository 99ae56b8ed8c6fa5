import Core
import Foundation
import Routing

/// A JSON client for end-to-end tests: real sockets, one keep-alive connection per client.
public final class APIClient: @unchecked Sendable {
    public let port: Int
    public var key: String
    private var connection: RawClient?

    public init(port: Int, key: String) {
        self.port = port
        self.key = key
    }

    public struct Reply: CustomStringConvertible {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as JSON (`.null` when it is not JSON).
        public var json: JSONValue { (try? JSONParser.parse(body)) ?? .null }
        /// A top-level member of the JSON body.
        public subscript(_ key: String) -> JSONValue? { json.objectValue?[key] }
        /// The problem `code`, when the body is a problem.
        public var code: String? { self["code"]?.stringValue }
        public var description: String { "\(status) \(text)" }
    }

    /// Sends one request; `body` is sent as `application/json` unless `contentType` says otherwise.
    public func send(
        _ method: String, _ path: String, body: String? = nil, contentType: String = "application/json",
        headers: [(String, String)] = []
    ) throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        if !key.isEmpty { head += "Authorization: Bearer \(key)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((body ?? "").utf8)
        if body != nil {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n"
        }
        head += "\r\n"
        for attempt in 0..<2 {
            do {
                let client = try connection ?? RawClient(port: port, timeout: 30)
                connection = client
                try client.send(Array(head.utf8) + bytes)
                let response = try client.readResponse(head: method == "HEAD")
                if response.header("Connection") == "close" { connection = nil }
                return Reply(status: response.status, headers: response.headers, body: response.body)
            } catch is RawClient.Closed where attempt == 0 {
                // The server closed an idle keep-alive connection; one retry on a new one.
                connection = nil
            }
        }
        throw RawClient.Closed()
    }

    public func get(_ path: String, headers: [(String, String)] = []) throws -> Reply {
        try send("GET", path, headers: headers)
    }

    public func post(_ path: String, _ body: String = "{}", headers: [(String, String)] = []) throws -> Reply {
        try send("POST", path, body: body, headers: headers)
    }

    public func patch(_ path: String, _ body: String, headers: [(String, String)] = []) throws -> Reply {
        try send("PATCH", path, body: body, contentType: "application/merge-patch+json", headers: headers)
    }

    public func delete(_ path: String, headers: [(String, String)] = []) throws -> Reply {
        try send("DELETE", path, headers: headers)
    }
}
