import Testing

@testable import HTTP

/// `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
@Suite struct ChunkedBodyTests {
    static let chunkedHead = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

    @Test func chunkedBody_isDecoded() throws {
        let (event, buffer, parser) = singleEvent(Self.chunkedHead + "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
        let request = try #require(event.request)
        #expect(String(decoding: request.body, as: UTF8.self) == "hello world")
        #expect(buffer.isEmpty)
        #expect(parser.pendingHead == nil)
    }

    @Test func emptyChunkedBody_isAccepted() throws {
        let request = try #require(singleEvent(Self.chunkedHead + "0\r\n\r\n").0.request)
        #expect(request.body.isEmpty)
    }

    @Test(arguments: ["A", "a", "0a", "000A"])
    func chunkSize_isHexadecimal_inEitherCase_withLeadingZeros(size: String) throws {
        let request = try #require(singleEvent(Self.chunkedHead + "\(size)\r\n0123456789\r\n0\r\n\r\n").0.request)
        #expect(String(decoding: request.body, as: UTF8.self) == "0123456789")
    }

    @Test(arguments: [
        "3;name\r\nabc\r\n0\r\n\r\n",
        "3;name=value\r\nabc\r\n0\r\n\r\n",
        "3;a=1;b=\"quoted; value\"\r\nabc\r\n0;last\r\n\r\n",
        "3 ;ext\r\nabc\r\n0\r\n\r\n",
        "3\t;ext\r\nabc\r\n0\r\n\r\n",
    ])
    func chunkExtensions_areAcceptedAndIgnored(chunks: String) throws {
        let request = try #require(singleEvent(Self.chunkedHead + chunks).0.request)
        #expect(String(decoding: request.body, as: UTF8.self) == "abc")
    }

    @Test func trailers_areAccepted_andNotMergedIntoHeaders() throws {
        let (event, buffer, _) = singleEvent(
            Self.chunkedHead + "3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nHost: evil.example\r\n\r\n"
        )
        let request = try #require(event.request)
        #expect(String(decoding: request.body, as: UTF8.self) == "abc")
        #expect(request.headers["X-Checksum"] == nil)
        #expect(request.headers.values(for: "Host") == ["h"])
        #expect(buffer.isEmpty)
    }

    @Test func chunkDataContainingCRLF_isKeptVerbatim() throws {
        let request = try #require(singleEvent(Self.chunkedHead + "4\r\n\r\n\r\n\r\n0\r\n\r\n").0.request)
        #expect(request.body == [13, 10, 13, 10])
    }

    @Test func chunkDataThatLooksLikeARequest_staysInTheBody() throws {
        let inner = "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n"
        let size = String(inner.utf8.count, radix: 16)
        let run = parseAllAtOnce(Self.chunkedHead + "\(size)\r\n\(inner)\r\n0\r\n\r\n")
        #expect(run.requests.count == 1)
        #expect(run.requests.first?.bodyText == inner)
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test(arguments: ["chunked", "Chunked", "CHUNKED", "  chunked  "])
    func transferEncodingChunked_isCaseInsensitive_andTrimmed(value: String) throws {
        let request = try #require(
            singleEvent(
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(value)\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            ).0.request)
        #expect(String(decoding: request.body, as: UTF8.self) == "ok")
    }

    @Test func requestPipelinedAfterChunkedBody_staysInBuffer() throws {
        let next = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes(Self.chunkedHead + "1\r\nx\r\n0\r\nT: v\r\n\r\n" + next))
        let first = try #require(parser.parse(&buffer).request)
        #expect(first.body == [0x78])
        #expect(buffer.readableCount == next.utf8.count)
        #expect(parser.parse(&buffer).request?.head.target == "/next")
    }

    @Test func chunkedBody_inPieces_keepsPendingHead_untilTheLastChunk() throws {
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes(Self.chunkedHead + "5\r\nhel"))
        #expect(parser.parse(&buffer).isNeedMore)
        #expect(parser.pendingHead?.target == "/upload")
        for piece in ["lo\r", "\n", "3", "\r\nabc\r\n", "0\r\n", "X: y\r\n", "\r"] {
            buffer.append(bytes(piece))
            #expect(parser.parse(&buffer).isNeedMore, "after \(piece.debugDescription)")
            #expect(parser.pendingHead != nil)
        }
        buffer.append(bytes("\n"))
        let request = try #require(parser.parse(&buffer).request)
        #expect(String(decoding: request.body, as: UTF8.self) == "helloabc")
        #expect(parser.pendingHead == nil)
    }

    @Test func incompleteLastChunk_needsMore_withoutTreatingTheNextBytesAsARequest() {
        // "0\r\n" without the final CRLF: the body is not finished yet.
        let run = parseAllAtOnce(Self.chunkedHead + "1\r\na\r\n0\r\n")
        #expect(run.requests.isEmpty)
        #expect(run.end == .needMore(buffered: 0))
    }

    // MARK: Malformed chunked framing

    @Test(arguments: [
        ("non-hex size", "zz\r\nab\r\n0\r\n\r\n"),
        ("empty size line", "\r\nab\r\n0\r\n\r\n"),
        ("negative size", "-2\r\nab\r\n0\r\n\r\n"),
        ("0x prefix", "0x2\r\nab\r\n0\r\n\r\n"),
        ("plus sign", "+2\r\nab\r\n0\r\n\r\n"),
        ("leading whitespace", " 2\r\nab\r\n0\r\n\r\n"),
        ("junk after size", "2 x\r\nab\r\n0\r\n\r\n"),
        ("junk glued to size", "2x\r\nab\r\n0\r\n\r\n"),
        ("16 hex digits", "0000000000000002\r\nab\r\n0\r\n\r\n"),
        ("bare LF after size", "2\nab\r\n0\r\n\r\n"),
        ("bare CR after size", "2\rab\r\n0\r\n\r\n"),
        ("LF-only chunk lines", "2\nab\n0\n\n"),
        ("control byte in extension", "2;a=\u{01}\r\nab\r\n0\r\n\r\n"),
        ("NUL in extension", "2;a\u{00}\r\nab\r\n0\r\n\r\n"),
        ("DEL in extension", "2;a\u{7F}\r\nab\r\n0\r\n\r\n"),
        ("NUL as size", "\u{00}\r\nab\r\n0\r\n\r\n"),
        ("data longer than size", "2\r\nabc\r\n0\r\n\r\n"),
        ("data shorter than size", "4\r\nab\r\n0\r\n\r\n"),
        ("data not followed by CRLF", "2\r\nabXX0\r\n\r\n"),
        ("data followed by bare LF", "2\r\nab\n0\r\n\r\n"),
        ("overlong size line", "2;" + String(repeating: "e", count: 2_000) + "\r\nab\r\n0\r\n\r\n"),
        ("trailer without colon", "0\r\nNoColon\r\n\r\n"),
        ("trailer with space before colon", "0\r\nX-T : v\r\n\r\n"),
        ("trailer obs-fold", "0\r\nX-T: v\r\n folded\r\n\r\n"),
        ("trailer with NUL", "0\r\nX-T: a\u{00}b\r\n\r\n"),
        ("trailer with bare LF", "0\r\nX-T: v\n\r\n"),
        ("last chunk with bare LF", "0\n\n"),
        ("last chunk then bare CR", "0\r\n\rGET"),
    ])
    func malformedChunkedFraming_isRejectedWith400(name: String, chunks: String) {
        let run = parseAllAtOnce(Self.chunkedHead + chunks)
        #expect(run.requests.isEmpty, "\(name)")
        #expect(run.errorStatus == 400, "\(name)")
        #expect(parseByteAtATime(Self.chunkedHead + chunks) == run, "\(name): byte-at-a-time differs")
    }
}
