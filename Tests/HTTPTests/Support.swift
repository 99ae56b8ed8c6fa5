@testable import HTTP

// Helpers shared by the parser tests: feed literal request text to a `RequestParser` the way the
// server does (append bytes, then call `parse` until it asks for more or fails) and record what
// came out in a comparable form.

/// A parsed request reduced to plain values, so two runs can be compared with `==`.
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: [String]
    var body: [UInt8]

    init(_ request: HTTPRequest) {
        method = request.head.method
        target = request.head.target
        version = request.head.version
        headers = request.head.headers.map { "\($0.name): \($0.value)" }
        body = request.body
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    var description: String {
        "\(method) \(target) \(version.text) \(headers) body(\(body.count))=\(bodyText.debugDescription)"
    }
}

/// Everything a parser run produced: the requests in order, and how it stopped.
struct ParseRun: Equatable, CustomStringConvertible {
    enum End: Equatable {
        /// The parser wants more bytes; `buffered` of them are still unconsumed.
        case needMore(buffered: Int)
        case error(status: Int)
    }

    var requests: [ParsedRequest] = []
    var end: End = .needMore(buffered: 0)

    var errorStatus: Int? {
        if case .error(let status) = end { return status }
        return nil
    }

    var description: String { "requests: \(requests), end: \(end)" }
}

/// Test limits small enough to reach with literal strings.
let smallLimits = ParserLimits(maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 16)

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `pieces` one after another, parsing after each until `.needMore` or `.error`.
/// Stops at the first error, like the server (which answers and closes).
func parse(pieces: [[UInt8]], limits: ParserLimits = ParserLimits()) -> ParseRun {
    var parser = RequestParser(limits: limits)
    var buffer = InboundBuffer()
    var run = ParseRun()
    for piece in pieces {
        buffer.append(piece)
        loop: while true {
            switch parser.parse(&buffer) {
            case .needMore:
                break loop
            case .request(let request):
                run.requests.append(ParsedRequest(request))
            case .error(let error):
                run.end = .error(status: error.status)
                return run
            }
        }
    }
    run.end = .needMore(buffered: buffer.readableCount)
    return run
}

/// The whole input in one read.
func parseAllAtOnce(_ input: [UInt8], limits: ParserLimits = ParserLimits()) -> ParseRun {
    parse(pieces: [input], limits: limits)
}

func parseAllAtOnce(_ text: String, limits: ParserLimits = ParserLimits()) -> ParseRun {
    parseAllAtOnce(bytes(text), limits: limits)
}

/// One read per byte.
func parseByteAtATime(_ input: [UInt8], limits: ParserLimits = ParserLimits()) -> ParseRun {
    parse(pieces: input.map { [$0] }, limits: limits)
}

func parseByteAtATime(_ text: String, limits: ParserLimits = ParserLimits()) -> ParseRun {
    parseByteAtATime(bytes(text), limits: limits)
}

/// The status the parser answers `text` with, fed all at once; nil if it does not fail.
func errorStatus(_ text: String, limits: ParserLimits = ParserLimits()) -> Int? {
    parseAllAtOnce(text, limits: limits).errorStatus
}

/// One parse call on a fresh buffer holding `text`.
func singleEvent(_ text: String, limits: ParserLimits = ParserLimits()) -> (
    RequestParser.Event, InboundBuffer, RequestParser
) {
    var parser = RequestParser(limits: limits)
    var buffer = InboundBuffer(bytes(text))
    let event = parser.parse(&buffer)
    return (event, buffer, parser)
}

extension RequestParser.Event {
    var request: HTTPRequest? {
        if case .request(let request) = self { return request }
        return nil
    }

    var isNeedMore: Bool {
        if case .needMore = self { return true }
        return false
    }

    var errorStatus: Int? {
        if case .error(let error) = self { return error.status }
        return nil
    }
}
