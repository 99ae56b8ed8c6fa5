/// A response to be written. `Date`, `Content-Length` and `Connection` are added by the server
/// when it writes the response, so handlers never have to.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// An RFC 9457 problem for the server's own answers below the router (malformed requests,
    /// limits, timeouts, overload), in the same shape and with the same stable `code` words as
    /// the application's problems (Routing's `ProblemCode` lists them).
    public static func problem(_ status: Int, code: String, detail: String, headers: HTTPHeaders = HTTPHeaders())
        -> HTTPResponse
    {
        var h = headers
        h.set("Content-Type", "application/problem+json")
        let type = "/problems/" + code.replacingAll("_", with: "-")
        let body =
            #"{"type":"\#(type)","title":"\#(reasonPhrase(status))","status":\#(status),"detail":\#(jsonString(detail)),"code":"\#(code)"}"#
        return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
    }

    /// The problem `code` for a status the server answers by itself.
    public static func problemCode(forStatus status: Int) -> String {
        switch status {
        case 408: "request_timeout"
        case 413: "payload_too_large"
        case 431: "headers_too_large"
        case 501: "not_implemented"
        case 503: "service_unavailable"
        case 505: "http_version_not_supported"
        default: "bad_request"
        }
    }

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A plain-text response (tests and tools; the server's own errors are problems).
    public static func text(_ status: Int, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var h = headers
        h.set("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: h, body: Array((text + "\n").utf8))
    }
}

/// Reason phrases for the status line (RFC 9110 §15); clients ignore them, people read them.
public func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: "Continue"
    case 200: "OK"
    case 201: "Created"
    case 202: "Accepted"
    case 204: "No Content"
    case 304: "Not Modified"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 406: "Not Acceptable"
    case 408: "Request Timeout"
    case 409: "Conflict"
    case 410: "Gone"
    case 411: "Length Required"
    case 412: "Precondition Failed"
    case 413: "Content Too Large"
    case 415: "Unsupported Media Type"
    case 417: "Expectation Failed"
    case 422: "Unprocessable Content"
    case 428: "Precondition Required"
    case 429: "Too Many Requests"
    case 431: "Request Header Fields Too Large"
    case 500: "Internal Server Error"
    case 501: "Not Implemented"
    case 503: "Service Unavailable"
    case 505: "HTTP Version Not Supported"
    default: "Status \(status)"
    }
}
