// The properties every parser run must have, whatever the input. Shared by
// `ParserRandomInputTests` (compiled into HTTPTests) and the libFuzzer target in `Fuzz/`
// (compiled together with the parser sources into one module, where there is no `HTTP` module
// to import) — so this file must only use the parser's own types and the standard library.
#if canImport(HTTP)
    @testable import HTTP
#endif

/// A parsed request reduced to plain values, for comparing two runs.
struct RequestDigest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var names: [String] = []
    var values: [String] = []
    var body: [UInt8]

    init(_ request: HTTPRequest) {
        method = request.head.method
        target = request.head.target
        version = request.head.version
        for field in request.head.headers {
            names.append(field.name)
            values.append(field.value)
        }
        body = request.body
    }

    var description: String {
        "\(method) \(target) \(version.text) \(zip(names, values).map { "\($0): \($1)" }) body(\(body.count))"
    }
}

/// What one run produced and how it ended.
struct InvariantRun: Equatable, CustomStringConvertible {
    enum End: Equatable {
        case needMore(buffered: Int)
        case error(status: Int)
    }

    var requests: [RequestDigest] = []
    var end: End = .needMore(buffered: 0)
    /// The first broken invariant, if any.
    var violation: String?

    var description: String { "requests: \(requests), end: \(end)" }

    static func == (a: InvariantRun, b: InvariantRun) -> Bool { a.requests == b.requests && a.end == b.end }
}

enum ParserInvariants {
    /// The statuses the parser may answer with.
    static let allowedStatuses: Set<Int> = [400, 413, 431, 501, 505]

    /// The shortest possible request, `GET / HTTP/1.0` plus the blank line: every request consumes
    /// at least this much, or the parser could loop producing requests from nothing.
    static let shortestRequest = "A / HTTP/1.0\r\n\r\n".utf8.count

    /// Feeds `input` in the pieces delimited by `cuts` (ascending offsets; empty for one piece),
    /// calling `parse` after each piece until `.needMore` or `.error` like the server does, and
    /// checks every invariant along the way.
    static func run(_ input: [UInt8], cuts: [Int], limits: ParserLimits) -> InvariantRun {
        var parser = RequestParser(limits: limits)
        var buffer = InboundBuffer()
        var result = InvariantRun()
        var fed = 0
        var consumed = 0
        var consumedAtLastRequest = 0
        var boundaries = cuts.filter { $0 > 0 && $0 < input.count }
        boundaries.append(input.count)
        var start = 0

        func fail(_ message: String) -> InvariantRun {
            var failed = result
            failed.violation = message
            return failed
        }

        for end in boundaries where end > start || (end == input.count && start == 0) {
            buffer.append(Array(input[start..<end]))
            fed += end - start
            start = end
            var calls = 0
            while true {
                calls += 1
                // Each call either consumes a whole request or stops, so a run of calls longer than
                // the input can only be a loop.
                if calls > fed + 2 { return fail("parse loop does not terminate (\(calls) calls)") }
                let event = parser.parse(&buffer)
                let nowConsumed = fed - buffer.readableCount
                if buffer.readableCount < 0 || nowConsumed > fed { return fail("consumed more than was fed") }
                if nowConsumed < consumed {
                    return fail("consumed count went backwards: \(consumed) -> \(nowConsumed)")
                }
                consumed = nowConsumed
                switch event {
                case .needMore:
                    break
                case .error(let error):
                    if !allowedStatuses.contains(error.status) { return fail("unexpected status \(error)") }
                    result.end = .error(status: error.status)
                    return result
                case .request(let request):
                    let length = consumed - consumedAtLastRequest
                    if length < shortestRequest { return fail("request produced from only \(length) bytes") }
                    if let problem = problem(with: request, limits: limits) { return fail(problem) }
                    if parser.pendingHead != nil { return fail("pendingHead still set after a complete request") }
                    // A request's own bytes, parsed alone, must give exactly that request and nothing
                    // more: otherwise where one request ends depends on what follows it.
                    let own = Array(input[consumedAtLastRequest..<consumed])
                    var alone = RequestParser(limits: limits)
                    var ownBuffer = InboundBuffer(own)
                    guard case .request(let again) = alone.parse(&ownBuffer), ownBuffer.isEmpty,
                        RequestDigest(again) == RequestDigest(request)
                    else {
                        return fail(
                            "request bytes \(consumedAtLastRequest)..<\(consumed) do not parse alone to the same request"
                        )
                    }
                    consumedAtLastRequest = consumed
                    result.requests.append(RequestDigest(request))
                    continue
                }
                break
            }
        }
        result.end = .needMore(buffered: buffer.readableCount)
        return result
    }

    /// Feeds `input` in the pieces of `cuts`, all at once, and (if `byteAtATime`) one byte per
    /// read. Returns the single-read run, and the first broken invariant, including any difference
    /// between the runs.
    static func check(_ input: [UInt8], cuts: [Int], limits: ParserLimits, byteAtATime: Bool) -> (InvariantRun, String?)
    {
        let whole = run(input, cuts: [], limits: limits)
        if let violation = whole.violation { return (whole, "single read: \(violation)") }
        let split = run(input, cuts: cuts, limits: limits)
        if let violation = split.violation { return (whole, "split feeding: \(violation)") }
        if split != whole { return (whole, "split feeding gave \(split), a single read gave \(whole)") }
        if byteAtATime {
            let trickled = run(input, cuts: Array(0..<input.count), limits: limits)
            if let violation = trickled.violation { return (whole, "byte at a time: \(violation)") }
            if trickled != whole { return (whole, "byte at a time gave \(trickled), a single read gave \(whole)") }
        }
        return (whole, nil)
    }

    /// What is wrong with a request the parser accepted, if anything: it must be exactly what a
    /// strict reading of RFC 9112 allows, and within the limits.
    static func problem(with request: HTTPRequest, limits: ParserLimits) -> String? {
        let head = request.head
        if request.body.count > limits.maxBodyBytes { return "body of \(request.body.count) bytes exceeds the limit" }
        if head.method.isEmpty || head.method.utf8.count > 24 || !head.method.utf8.allSatisfy(isTokenByte) {
            return "invalid method \(head.method.debugDescription)"
        }
        if !(head.target.hasPrefix("/") || (head.target == "*" && head.method == "OPTIONS")) {
            return "invalid target \(head.target.debugDescription)"
        }
        if !head.target.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) { return "invalid byte in target" }
        if head.headers.count > limits.maxHeaderCount { return "\(head.headers.count) header fields" }
        for field in head.headers {
            if field.name.isEmpty || !field.name.utf8.allSatisfy(isTokenByte) {
                return "invalid field name \(field.name.debugDescription)"
            }
            let value = Array(field.value.utf8)
            if value.contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) {
                return "control byte in value of \(field.name)"
            }
            if let first = value.first, first == 32 || first == 9 { return "untrimmed value of \(field.name)" }
            if let last = value.last, last == 32 || last == 9 { return "untrimmed value of \(field.name)" }
        }
        let hosts = head.headers.values(for: "Host")
        if hosts.count > 1 || (head.version == .http1_1 && hosts.isEmpty) { return "\(hosts.count) Host fields" }
        let te = head.headers.values(for: "Transfer-Encoding")
        let cl = head.headers.values(for: "Content-Length")
        if !te.isEmpty {
            if !cl.isEmpty { return "accepted both Content-Length and Transfer-Encoding" }
            if head.version != .http1_1 { return "accepted Transfer-Encoding in HTTP/1.0" }
            let codings = te.flatMap { $0.split(separator: ",") }.map { $0.trimmingHTTPWhitespace() }.filter {
                !$0.isEmpty
            }
            if codings.count != 1 || !codings[0].equalsIgnoringASCIICase("chunked") {
                return "accepted Transfer-Encoding \(te)"
            }
        } else if !cl.isEmpty {
            let lengths = Set(
                cl.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                    .map { Int($0.trimmingHTTPWhitespace()) })
            guard lengths.count == 1, let only = lengths.first, let length = only else {
                return "accepted Content-Length \(cl)"
            }
            if request.body.count != length {
                return "Content-Length \(length) but a body of \(request.body.count) bytes"
            }
        } else if !request.body.isEmpty {
            return "a body of \(request.body.count) bytes without Content-Length or Transfer-Encoding"
        }
        return nil
    }
}

/// A small, fast, seedable generator (SplitMix64), so a failing run can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
