import Core
import HTTP

/// What a handler returns. Bodies are encoded once, here, never by the server.
public struct Response: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response of `value`, snake_case keys, nil fields as `null`.
    public static func json<T: Encodable>(_ value: T, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) throws
        -> Response
    {
        var h = headers
        h.set("Content-Type", "application/json")
        return Response(status: status, headers: h, body: try JSONValueEncoder().encodeBytes(value))
    }

    /// A JSON response of an already-built value.
    public static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var h = headers
        h.set("Content-Type", "application/json")
        return Response(status: status, headers: h, body: JSONWriter.serialize(value))
    }

    /// 201 with `Location`.
    public static func created<T: Encodable>(_ value: T, location: String, headers: HTTPHeaders = HTTPHeaders()) throws
        -> Response
    {
        var h = headers
        h.set("Location", location)
        return try json(value, status: 201, headers: h)
    }

    public static let noContent = Response(status: 204)

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        Response(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }
}

extension AppError {
    /// The RFC 9457 problem+json rendering of this error for request `requestID`.
    public func response(requestID: String) -> Response {
        var members: [(String, JSONValue)] = [
            ("type", .string(code.typeURI)),
            ("title", .string(code.title)),
            ("status", .number(String(code.status))),
            ("detail", .string(detail)),
            ("code", .string(code.rawValue)),
            ("request_id", .string(requestID)),
        ]
        if !errors.isEmpty {
            members.append(
                (
                    "errors",
                    .array(
                        errors.map {
                            .object(JSONObject([("field", .string($0.field)), ("message", .string($0.message))]))
                        })
                ))
        }
        for (key, value) in extra where !members.contains(where: { $0.0 == key }) {
            members.append((key, value))
        }
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/problem+json")
        for (name, value) in self.headers { headers.add(name, value) }
        return Response(status: code.status, headers: headers, body: JSONWriter.serialize(.object(JSONObject(members))))
    }
}
