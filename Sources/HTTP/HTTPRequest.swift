/// The protocol version of a request line; only HTTP/1.0 and HTTP/1.1 are served.
public enum HTTPVersion: Sendable, Equatable {
    case http1_0
    case http1_1

    public var text: String { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// A parsed request line and header section (RFC 9112 §3, §5).
public struct HTTPRequestHead: Sendable {
    /// The method token exactly as sent (methods are case-sensitive, RFC 9110 §9.1).
    public var method: String
    /// The request target as sent (origin-form, or the path of an absolute-form target).
    public var target: String
    /// The target's path, still percent-encoded; the router decodes each segment.
    public var path: Substring
    /// The query string without `?`, still percent-encoded; nil when there is none.
    public var query: Substring?
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: HTTPVersion, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        // A byte search: looking for a Character would walk grapheme clusters.
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = target[..<mark]
            query = target[target.utf8.index(after: mark)...]
        } else {
            path = target[...]
            query = nil
        }
    }

    /// Whether the client asked to keep the connection open after this exchange
    /// (RFC 9112 §9.3: 1.1 persists unless `close`; 1.0 only with `keep-alive`).
    public var wantsKeepAlive: Bool {
        switch version {
        case .http1_1: return !headers.hasToken("close", in: "Connection")
        case .http1_0: return headers.hasToken("keep-alive", in: "Connection")
        }
    }

    /// Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        version == .http1_1 && headers.hasToken("100-continue", in: "Expect")
    }
}

/// A complete request: head plus the whole body (bodies are bounded, so they are buffered).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    public var method: String { head.method }
    public var headers: HTTPHeaders { head.headers }
}
