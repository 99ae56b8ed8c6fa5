import Testing

@testable import HTTP

/// One malformed input and the status the parser must answer it with.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: String
    let status: Int

    init(_ name: String, _ input: String, _ status: Int = 400) {
        self.name = name
        self.input = input
        self.status = status
    }

    var testDescription: String { name }
}

/// Requests the parser must refuse, with the status it must refuse them with. Every case is
/// followed by a well-formed request, which must never come out: after an error the framing
/// can no longer be trusted.
@Suite struct MalformedRequestTests {
    static let followUp = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"

    static let requestLineCases: [MalformedCase] = [
        MalformedCase("no spaces", "GET\r\nHost: h\r\n\r\n"),
        MalformedCase("no version", "GET /\r\nHost: h\r\n\r\n"),
        MalformedCase("double space after method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("double space before version", "GET /  HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n"),
        MalformedCase("leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("tabs as separators", "GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("four parts", "GET / extra HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("space inside target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("empty request line", "\r\n\r\n\r\nHost: h\r\n\r\n"),
        MalformedCase("method with non-token byte", "G(ET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method with slash", "GET/ / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method with colon", "GE:T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method with NUL", "GE\u{00}T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method with UTF-8", "G\u{C9}T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method of 25 bytes", String(repeating: "A", count: 25) + " / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("method of 1000 bytes", String(repeating: "M", count: 1_000) + " / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("relative target", "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("asterisk target for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("absolute-form without authority", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("absolute-form with other scheme", "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("NUL in target", "GET /a\u{00}b HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("control byte in target", "GET /a\u{01}b HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("DEL in target", "GET /a\u{7F}b HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("UTF-8 in target", "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase(
            "target over 8 KiB", "GET /" + String(repeating: "t", count: 8_200) + " HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("version without minor", "GET / HTTP/1\r\nHost: h\r\n\r\n"),
        MalformedCase("version HTTP/2", "GET / HTTP/2\r\nHost: h\r\n\r\n"),
        MalformedCase("version without dot", "GET / HTTP/11\r\nHost: h\r\n\r\n"),
        MalformedCase("version with two-digit minor", "GET / HTTP/1.10\r\nHost: h\r\n\r\n"),
        MalformedCase("version with letters", "GET / HTTP/A.B\r\nHost: h\r\n\r\n"),
        MalformedCase("wrong protocol name", "GET / HTTX/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("version garbage", "GET / garbage\r\nHost: h\r\n\r\n"),
        MalformedCase("NUL in version", "GET / HTTP/1.\u{00}\r\nHost: h\r\n\r\n"),
        MalformedCase("HTTP/0.9 style request", "GET /\r\n\r\n"),
        MalformedCase("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        MalformedCase("HTTP/3.0", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505),
        MalformedCase("HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
        MalformedCase("HTTP/2.0 without Host", "GET / HTTP/2.0\r\n\r\n", 505),
        MalformedCase("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    ]

    static let headerCases: [MalformedCase] = [
        MalformedCase("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
        MalformedCase("HTTP/1.1 without any field", "GET / HTTP/1.1\r\n\r\n"),
        MalformedCase("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        MalformedCase("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
        MalformedCase("two Host fields differing in case", "GET / HTTP/1.1\r\nHost: a\r\nhOsT: b\r\n\r\n"),
        MalformedCase("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
        MalformedCase("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        MalformedCase("tab before colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A\t: b\r\n\r\n"),
        MalformedCase(
            "space before colon on Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc"),
        MalformedCase("space inside name", "GET / HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n"),
        MalformedCase("non-token byte in name", "GET / HTTP/1.1\r\nHost: h\r\nX(A): b\r\n\r\n"),
        MalformedCase("UTF-8 in name", "GET / HTTP/1.1\r\nHost: h\r\nX-\u{E9}: b\r\n\r\n"),
        MalformedCase("empty name", "GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n"),
        MalformedCase("no colon", "GET / HTTP/1.1\r\nHost: h\r\nJustAName\r\n\r\n"),
        MalformedCase("obs-fold with space", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n c\r\n\r\n"),
        MalformedCase("obs-fold with tab", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\tc\r\n\r\n"),
        MalformedCase("first field line indented", "GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
        MalformedCase(
            "obs-fold hiding Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        MalformedCase("NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\u{00}c\r\n\r\n"),
        MalformedCase("NUL in name", "GET / HTTP/1.1\r\nHost: h\r\nX\u{00}A: b\r\n\r\n"),
        MalformedCase("NUL as a whole line", "GET / HTTP/1.1\r\nHost: h\r\n\u{00}\r\n\r\n"),
        MalformedCase("control byte in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\u{01}c\r\n\r\n"),
        MalformedCase("ESC in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: \u{1B}[31m\r\n\r\n"),
        MalformedCase("DEL in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\u{7F}\r\n\r\n"),
        MalformedCase("vertical tab in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\u{0B}c\r\n\r\n"),
        MalformedCase("form feed in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\u{0C}c\r\n\r\n"),
    ]

    static let lineEndingCases: [MalformedCase] = [
        MalformedCase("bare LF line endings throughout", "GET / HTTP/1.1\nHost: h\n\n"),
        MalformedCase("bare LF after request line", "GET / HTTP/1.1\nHost: h\r\n\r\n"),
        MalformedCase("bare LF inside value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\nc\r\n\r\n"),
        MalformedCase("bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n"),
        MalformedCase("bare LF before final CRLF", "GET / HTTP/1.1\r\nHost: h\n\r\n"),
        MalformedCase("bare LF as the first byte", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("bare CR line endings throughout", "GET / HTTP/1.1\rHost: h\r\r\r\n\r\n"),
        MalformedCase("bare CR inside value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n"),
        MalformedCase("bare CR inside request line", "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"),
        MalformedCase("CR CR LF", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n"),
        MalformedCase(
            "bare CR before a hidden request", "GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rGET /x HTTP/1.1\r\n\r\n"),
    ]

    static let framingCases: [MalformedCase] = [
        MalformedCase(
            "Content-Length with Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding with Content-Length",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding with Content-Length: 0",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "conflicting Content-Length fields",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef"),
        MalformedCase(
            "conflicting Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\nabcdef"),
        MalformedCase("negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"),
        MalformedCase("Content-Length with plus sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nabcde"),
        MalformedCase("hex Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nabcde"),
        MalformedCase("Content-Length with letters", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5a\r\n\r\nabcde"),
        MalformedCase(
            "Content-Length with inner space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\nabcde"),
        MalformedCase(
            "Content-Length with decimal point", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5.0\r\n\r\nabcde"),
        MalformedCase("empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"),
        MalformedCase(
            "Content-Length with empty list element",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\nabcde"),
        MalformedCase(
            "Content-Length of 16 digits",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0000000000000005\r\n\r\nabcde"),
        MalformedCase(
            "Content-Length overflowing Int",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding with Content-Length in HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nabcde"),
        MalformedCase("Transfer-Encoding gzip only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding identity", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding chunked then gzip",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding fields chunked then gzip",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"),
        MalformedCase("empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding chunked with junk",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding chunked with parameter",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
        MalformedCase(
            "Transfer-Encoding gzip, chunked",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        MalformedCase(
            "Transfer-Encoding deflate, chunked",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: deflate,chunked\r\n\r\n0\r\n\r\n", 501),
        MalformedCase(
            "Transfer-Encoding fields gzip then chunked",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
    ]

    @Test(arguments: requestLineCases)
    func malformedRequestLine_isRejected(_ malformed: MalformedCase) {
        check(malformed)
    }

    @Test(arguments: headerCases)
    func malformedHeaderField_isRejected(_ malformed: MalformedCase) {
        check(malformed)
    }

    @Test(arguments: lineEndingCases)
    func bareCROrLF_isRejected(_ malformed: MalformedCase) {
        check(malformed)
    }

    @Test(arguments: framingCases)
    func ambiguousOrUnsupportedBodyFraming_isRejected(_ malformed: MalformedCase) {
        check(malformed)
    }

    /// Fed all at once and byte by byte, with a valid request after it: exactly the expected
    /// status, and no request at all.
    private func check(_ malformed: MalformedCase, sourceLocation: SourceLocation = #_sourceLocation) {
        let input = malformed.input + Self.followUp
        let whole = parseAllAtOnce(input)
        #expect(whole.requests.isEmpty, "\(malformed.name): \(whole)", sourceLocation: sourceLocation)
        #expect(whole.errorStatus == malformed.status, "\(malformed.name): \(whole)", sourceLocation: sourceLocation)
        let trickled = parseByteAtATime(input)
        #expect(trickled == whole, "\(malformed.name): byte-at-a-time differs", sourceLocation: sourceLocation)
    }

    // MARK: Named cases from the spec

    @Test func contentLengthWithTransferEncoding_isRejected() {
        #expect(
            errorStatus(
                "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400
        )
    }

    @Test func conflictingContentLengths_areRejected() {
        #expect(errorStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc") == 400)
    }

    @Test func http2Version_isRejectedWith505_butGarbageVersionWith400() {
        #expect(errorStatus("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505)
        #expect(errorStatus("GET / HTPT/1.1\r\nHost: h\r\n\r\n") == 400)
    }

    @Test func gzipThenChunked_isRejectedWith501_butChunkedThenGzipWith400() {
        #expect(errorStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") == 501)
        #expect(errorStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n") == 400)
    }

    @Test func errorAfterAGoodPipelinedRequest_stillYieldsTheGoodOne() {
        let run = parseAllAtOnce("GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost : h\r\n\r\n")
        #expect(run.requests.map(\.target) == ["/ok"])
        #expect(run.errorStatus == 400)
    }

    @Test func everyErrorStatus_isOneTheServerAnswers() {
        let all = Self.requestLineCases + Self.headerCases + Self.lineEndingCases + Self.framingCases
        for malformed in all {
            #expect([400, 413, 431, 501, 505].contains(malformed.status))
        }
    }

    @Test func errorReason_neverEchoesTheInput() throws {
        let (event, _, _) = singleEvent("GET / HTTP/1.1\r\nHost: h\r\nX-Secret: <script>\u{01}\r\n\r\n")
        guard case .error(let error) = event else {
            Issue.record("expected an error, got \(event)")
            return
        }
        #expect(!error.reason.contains("script"))
        #expect(error.description.hasPrefix("400 "))
    }
}
