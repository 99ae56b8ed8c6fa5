import Testing

@testable import HTTP

/// Well-formed requests: request line, fields, Content-Length bodies, keep-alive, pipelining,
/// `Expect: 100-continue`, and incremental feeding.
@Suite struct RequestParserTests {
    // MARK: Request line and fields

    @Test func simpleGet_isParsed_withMethodTargetVersionAndHeaders() throws {
        let (event, buffer, parser) = singleEvent(
            "GET /users/42?verbose=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        let request = try #require(event.request)
        #expect(request.method == "GET")
        #expect(request.head.target == "/users/42?verbose=1")
        #expect(request.head.path == "/users/42")
        #expect(request.head.query == "verbose=1")
        #expect(request.head.version == .http1_1)
        #expect(request.headers["host"] == "example.com")
        #expect(request.headers["ACCEPT"] == "*/*")
        #expect(request.headers.count == 2)
        #expect(request.body.isEmpty)
        #expect(buffer.isEmpty)
        #expect(parser.pendingHead == nil)
    }

    @Test func targetWithoutQuery_hasNilQuery_andEmptyQueryIsKept() throws {
        let plain = try #require(singleEvent("GET /a/b HTTP/1.1\r\nHost: h\r\n\r\n").0.request)
        #expect(plain.head.path == "/a/b")
        #expect(plain.head.query == nil)
        let empty = try #require(singleEvent("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n").0.request)
        #expect(empty.head.path == "/a")
        #expect(empty.head.query == "")
    }

    @Test func methodIsCaseSensitive_andKeptAsSent() throws {
        let request = try #require(singleEvent("PaTcH /x HTTP/1.1\r\nHost: h\r\n\r\n").0.request)
        #expect(request.method == "PaTcH")
    }

    @Test func extensionMethodMadeOfTokenCharacters_isAccepted() throws {
        let request = try #require(singleEvent("M-SEARCH! /x HTTP/1.1\r\nHost: h\r\n\r\n").0.request)
        #expect(request.method == "M-SEARCH!")
    }

    @Test(arguments: [
        ("GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n", "/a/b?c=d"),
        ("GET https://example.com:8443/x HTTP/1.1\r\nHost: example.com\r\n\r\n", "/x"),
        ("GET HTTP://EXAMPLE.COM HTTP/1.1\r\nHost: example.com\r\n\r\n", "/"),
        ("GET http://example.com?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", "/?q=1"),
    ])
    func absoluteFormTarget_isReducedToItsPath(input: String, expectedTarget: String) throws {
        let request = try #require(singleEvent(input).0.request)
        #expect(request.head.target == expectedTarget)
    }

    @Test func asteriskForm_isAcceptedForOptions() throws {
        let request = try #require(singleEvent("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").0.request)
        #expect(request.method == "OPTIONS")
        #expect(request.head.target == "*")
    }

    @Test func headerNames_areCaseInsensitive_andRepeatsKeptInOrder() throws {
        let request = try #require(
            singleEvent(
                "GET / HTTP/1.1\r\nHost: h\r\nX-Tag: one\r\nx-tag: two\r\nX-TAG: three\r\n\r\n"
            ).0.request)
        #expect(request.headers.values(for: "X-Tag") == ["one", "two", "three"])
        #expect(request.headers["x-TaG"] == "one")
        #expect(request.headers.map(\.name) == ["Host", "X-Tag", "x-tag", "X-TAG"])
    }

    @Test func optionalWhitespaceAroundValues_isTrimmed_innerWhitespaceKept() throws {
        let request = try #require(
            singleEvent(
                "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced  out \t \r\nX-Empty:\r\nX-Blank:   \r\n\r\n"
            ).0.request)
        #expect(request.headers["Host"] == "h")
        #expect(request.headers["X-A"] == "spaced  out")
        #expect(request.headers["X-Empty"] == "")
        #expect(request.headers["X-Blank"] == "")
    }

    @Test func obsTextInFieldValue_isAcceptedVerbatim() throws {
        let request = try #require(singleEvent("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u{E9}\r\n\r\n").0.request)
        #expect(request.headers["X-Name"] == "caf\u{E9}")
    }

    @Test func http10Request_withoutHost_isAccepted() throws {
        let request = try #require(singleEvent("GET / HTTP/1.0\r\n\r\n").0.request)
        #expect(request.head.version == .http1_0)
    }

    @Test func headRequest_isParsed_withoutBody() throws {
        let run = parseAllAtOnce("HEAD /file HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(run.requests.map(\.method) == ["HEAD", "GET"])
        #expect(run.requests[0].body.isEmpty)
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func emptyLinesBeforeRequestLine_areIgnored() throws {
        let run = parseAllAtOnce("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(run.requests.map(\.target) == ["/"])
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func crlfAfterPostBody_isSkippedBeforeNextRequest() throws {
        // Some clients send an extra CRLF after a body (RFC 9112 §2.2).
        let run = parseAllAtOnce(
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
        )
        #expect(run.requests.map(\.target) == ["/a", "/b"])
        #expect(run.requests[0].bodyText == "hi")
        #expect(run.end == .needMore(buffered: 0))
    }

    // MARK: Keep-alive

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false),
    ])
    func keepAlive_followsVersionAndConnectionHeader(input: String, keepAlive: Bool) throws {
        let request = try #require(singleEvent(input).0.request)
        #expect(request.head.wantsKeepAlive == keepAlive)
    }

    // MARK: Content-Length bodies

    @Test func contentLengthBody_isReadExactly() throws {
        let (event, buffer, parser) = singleEvent(
            "POST /items HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
        )
        let request = try #require(event.request)
        #expect(request.method == "POST")
        #expect(String(decoding: request.body, as: UTF8.self) == "hello world")
        #expect(buffer.isEmpty)
        #expect(parser.pendingHead == nil)
    }

    @Test func bodyBytesThatLookLikeARequest_stayInTheBody() throws {
        // A body is opaque: a request line inside it must not become a second request.
        let body = "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n"
        let run = parseAllAtOnce("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(run.requests.count == 1)
        #expect(run.requests.first?.bodyText == body)
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func getWithContentLength_hasItsBodyConsumed_notParsedAsNextRequest() throws {
        let run = parseAllAtOnce("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nGET /x")
        #expect(run.requests.count == 1)
        #expect(run.requests.first?.bodyText == "GET /x".prefix(5).description)
        #expect(run.end == .needMore(buffered: 1))
    }

    @Test func contentLengthZero_givesEmptyBody_andNoPendingHead() throws {
        let (event, buffer, parser) = singleEvent("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        let request = try #require(event.request)
        #expect(request.body.isEmpty)
        #expect(buffer.isEmpty)
        #expect(parser.pendingHead == nil)
    }

    @Test(arguments: [
        "Content-Length: 5, 5",
        "Content-Length: 5\r\nContent-Length: 5",
        "Content-Length: 5 ,5 , 5",
        "content-length: 005",
    ])
    func repeatedIdenticalContentLengths_areAccepted(field: String) throws {
        let run = parseAllAtOnce("POST / HTTP/1.1\r\nHost: h\r\n\(field)\r\n\r\nabcde")
        #expect(run.requests.map(\.bodyText) == ["abcde"])
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func http10_withContentLength_readsBody() throws {
        let run = parseAllAtOnce("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc")
        #expect(run.requests.map(\.bodyText) == ["abc"])
    }

    @Test func bodyArrivingLater_needsMore_thenCompletes() throws {
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes("PUT /doc HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123"))
        #expect(parser.parse(&buffer).isNeedMore)
        #expect(buffer.isEmpty, "head and partial body are consumed")
        #expect(parser.pendingHead?.method == "PUT")
        #expect(parser.pendingHead?.target == "/doc")
        #expect(parser.isMidRequest(buffer))
        buffer.append(bytes("456"))
        #expect(parser.parse(&buffer).isNeedMore)
        buffer.append(bytes("789GET"))
        let request = try #require(parser.parse(&buffer).request)
        #expect(String(decoding: request.body, as: UTF8.self) == "0123456789")
        #expect(parser.pendingHead == nil)
        #expect(buffer.readableCount == 3, "the start of the next request stays buffered")
        #expect(parser.parse(&buffer).isNeedMore)
    }

    @Test func partialHead_needsMore_andConsumesNothing() {
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes("GET / HTTP/1.1\r\nHost: h\r\n"))
        #expect(parser.parse(&buffer).isNeedMore)
        #expect(buffer.readableCount == 25)
        #expect(parser.pendingHead == nil)
        #expect(parser.isMidRequest(buffer))
        buffer.append(bytes("\r"))
        #expect(parser.parse(&buffer).isNeedMore)
        buffer.append(bytes("\n"))
        #expect(parser.parse(&buffer).request?.head.target == "/")
        #expect(!parser.isMidRequest(buffer))
    }

    @Test func emptyBuffer_needsMore_andIsNotMidRequest() {
        var parser = RequestParser()
        var buffer = InboundBuffer()
        #expect(parser.parse(&buffer).isNeedMore)
        #expect(!parser.isMidRequest(buffer))
    }

    // MARK: Pipelining

    @Test func pipelinedRequests_areParsedOneAtATime_inOrder() throws {
        let first = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
        let second = "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        let third = "POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
        let fourth = "DELETE /four HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes(first + second + third + fourth))

        let r1 = try #require(parser.parse(&buffer).request)
        #expect(r1.head.target == "/one")
        #expect(buffer.readableCount == (second + third + fourth).utf8.count, "only the first request is consumed")

        let r2 = try #require(parser.parse(&buffer).request)
        #expect(r2.head.target == "/two")
        #expect(String(decoding: r2.body, as: UTF8.self) == "abc")
        #expect(buffer.readableCount == (third + fourth).utf8.count)

        let r3 = try #require(parser.parse(&buffer).request)
        #expect(r3.head.target == "/three")
        #expect(String(decoding: r3.body, as: UTF8.self) == "xy")
        #expect(buffer.readableCount == fourth.utf8.count)

        let r4 = try #require(parser.parse(&buffer).request)
        #expect(r4.head.target == "/four")
        #expect(buffer.isEmpty)
        #expect(parser.parse(&buffer).isNeedMore)
    }

    @Test func pipelinedRequestAfterMalformedOne_isNeverParsed() {
        // After an error the server closes; the parser must not have produced anything past it.
        let run = parseAllAtOnce(
            "GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(run.requests.isEmpty)
        #expect(run.errorStatus == 400)
    }

    @Test func manyPipelinedRequests_inOneRead_areAllParsed() {
        let one = "GET /n HTTP/1.1\r\nHost: h\r\n\r\n"
        let run = parseAllAtOnce(String(repeating: one, count: 500))
        #expect(run.requests.count == 500)
        #expect(run.end == .needMore(buffered: 0))
    }

    // MARK: Expect: 100-continue

    @Test func expectContinue_setsPendingHead_beforeTheBodyArrives() throws {
        var parser = RequestParser()
        var buffer = InboundBuffer(
            bytes(
                "POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
            ))
        #expect(parser.parse(&buffer).isNeedMore)
        let head = try #require(parser.pendingHead)
        #expect(head.expectsContinue)
        #expect(head.target == "/upload")
        buffer.append(bytes("data"))
        let request = try #require(parser.parse(&buffer).request)
        #expect(String(decoding: request.body, as: UTF8.self) == "data")
        #expect(parser.pendingHead == nil)
    }

    @Test func expectContinue_withChunkedBody_setsPendingHead() throws {
        var parser = RequestParser()
        var buffer = InboundBuffer(
            bytes(
                "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"
            ))
        #expect(parser.parse(&buffer).isNeedMore)
        #expect(parser.pendingHead?.expectsContinue == true)
        buffer.append(bytes("0\r\n\r\n"))
        #expect(parser.parse(&buffer).request != nil)
        #expect(parser.pendingHead == nil)
    }

    @Test(arguments: [
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n", false),
        ("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", false),
        ("POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\nContent-Length: 4\r\n\r\n", false),
        ("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-CONTINUE\r\nContent-Length: 4\r\n\r\n", true),
    ])
    func expectsContinue_onlyForHTTP11With100Continue(input: String, expected: Bool) throws {
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes(input))
        #expect(parser.parse(&buffer).isNeedMore)
        let head = try #require(parser.pendingHead)
        #expect(head.expectsContinue == expected)
    }

    @Test func expectContinue_withoutBody_leavesNoPendingHead() throws {
        let (event, _, parser) = singleEvent("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")
        let request = try #require(event.request)
        #expect(request.head.expectsContinue)
        #expect(parser.pendingHead == nil)
    }

    // MARK: Incremental feeding

    static let incrementalInputs: [String] = [
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: test/1.0\r\n\r\n",
        "\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 13\r\n\r\nhello, world!",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokPOST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\nHEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /partial HTTP/1.1\r\nHost: h\r\n",
        "POST /partial-body HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
        "POST /partial-chunk HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
        // Errors must be the same too.
        "GET / HTTP/1.1\r\nHost: h\r\nBad\nHeader: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
    ]

    @Test(arguments: incrementalInputs)
    func byteAtATimeFeeding_givesTheSameResult_asAllAtOnce(input: String) {
        let whole = parseAllAtOnce(input)
        let trickled = parseByteAtATime(input)
        #expect(trickled == whole)
    }

    @Test(arguments: incrementalInputs)
    func everyTwoPieceSplit_givesTheSameResult_asAllAtOnce(input: String) {
        let all = bytes(input)
        let whole = parseAllAtOnce(all)
        for cut in 0...all.count {
            let split = parse(pieces: [Array(all[..<cut]), Array(all[cut...])])
            #expect(split == whole, "split at \(cut)")
        }
    }

    @Test func byteAtATimeFeeding_ofPipelinedRequests_yieldsEachOnce() {
        let input = Self.incrementalInputs[6]
        let run = parseByteAtATime(input)
        #expect(run.requests.map(\.target) == ["/1", "/2", "/3", "/4"])
        #expect(run.requests.map(\.bodyText) == ["", "ok", "z", ""])
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func byteAtATimeFeeding_ofLargeHeaderSection_isAccepted() {
        // The head scan resumes where it stopped; a 15 KB head trickling in must still parse.
        let filler = String(repeating: "a", count: 150)
        let fields = (0..<95).map { "X-Field-\($0): \(filler)\r\n" }.joined()
        let input = "GET / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n"
        #expect(input.utf8.count < 16_384)
        let trickled = parseByteAtATime(input)
        #expect(trickled.requests.count == 1)
        #expect(trickled.requests.first?.headers.count == 96)
        #expect(trickled == parseAllAtOnce(input))
    }
}
