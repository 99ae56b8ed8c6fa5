import Testing

@testable import HTTP

/// The parser's bounds: 16 KiB of head and 100 fields (431), and the body limit (413), each
/// enforced as soon as it is crossed, not after buffering the rest.
@Suite struct ParserLimitsTests {
    /// A complete GET head of exactly `size` bytes, request line through the blank line.
    static func head(ofSize size: Int) -> String {
        let start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: "
        let end = "\r\n\r\n"
        let pad = size - start.utf8.count - end.utf8.count
        precondition(pad >= 0)
        return start + String(repeating: "p", count: pad) + end
    }

    @Test func defaultLimits_areThoseOfTheSpec() {
        let limits = ParserLimits()
        #expect(limits.maxHeaderBytes == 16_384)
        #expect(limits.maxHeaderCount == 100)
    }

    // MARK: Header section size

    @Test func headerSectionOf16KiB_isAccepted() {
        let input = Self.head(ofSize: 16_384)
        #expect(input.utf8.count == 16_384)
        let run = parseAllAtOnce(input)
        #expect(run.requests.count == 1)
        #expect(run.end == .needMore(buffered: 0))
    }

    /// Counting the head from the request line through the blank line, 16 KiB + 1 byte is over
    /// the limit. (Found while writing these tests: the scan only checks the size before it
    /// looks at the final LF, so a head of exactly 16,385 bytes gets through.)
    @Test func headerSectionOneByteOver16KiB_isRejectedWith431() {
        let input = Self.head(ofSize: 16_385)
        #expect(input.utf8.count == 16_385)
        #expect(errorStatus(input) == 431)
    }

    @Test(arguments: [16_386, 16_500, 20_000, 100_000])
    func headerSectionOver16KiB_isRejectedWith431(size: Int) {
        #expect(errorStatus(Self.head(ofSize: size)) == 431)
    }

    /// A bare CR that lands on the byte where the head reaches the limit: fed at once the parser
    /// sees the byte after it and answers 400; fed in two reads that end on the CR it answers 431,
    /// because the size check runs before the CR's successor is known. Both are errors, but the
    /// result must not depend on how the bytes arrive.
    @Test(arguments: [16_384, 16_385])
    func bareCRAtTheHeaderLimit_givesTheSameStatus_howeverTheBytesAreSplit(crOffset: Int) {
        let start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: "
        let input = bytes(start + String(repeating: "p", count: crOffset - start.utf8.count) + "\rY: z\r\n\r\n")
        #expect(input[crOffset] == 13)
        let whole = parseAllAtOnce(input)
        let split = parse(pieces: [Array(input[...crOffset]), Array(input[(crOffset + 1)...])])
        #expect(whole.errorStatus != nil)
        #expect(split == whole)
        #expect(parseByteAtATime(input) == whole)
    }

    @Test func endlessHeaderSection_isRejectedWith431_withoutWaitingForItsEnd() {
        // No blank line ever arrives: the parser must give up at the limit, not buffer forever.
        var parser = RequestParser()
        var buffer = InboundBuffer(bytes("GET / HTTP/1.1\r\nHost: h\r\n"))
        #expect(parser.parse(&buffer).isNeedMore)
        var status: Int?
        for _ in 0..<40 {
            buffer.append(bytes("X-Endless: " + String(repeating: "e", count: 500) + "\r\n"))
            let event = parser.parse(&buffer)
            if let s = event.errorStatus { status = s; break }
            #expect(event.isNeedMore)
        }
        #expect(status == 431)
    }

    @Test func endlessRequestLine_isRejectedWith431() {
        let run = parse(pieces: Array(repeating: bytes(String(repeating: "A", count: 1_000)), count: 20))
        #expect(run.errorStatus == 431)
    }

    @Test func headerSectionLimit_trickledByteAtATime_isStill431() {
        #expect(parseByteAtATime(Self.head(ofSize: 16_400)).errorStatus == 431)
    }

    @Test func customHeaderByteLimit_isHonoured() {
        let limits = ParserLimits(maxHeaderBytes: 100)
        #expect(parseAllAtOnce(Self.head(ofSize: 100), limits: limits).requests.count == 1)
        #expect(errorStatus(Self.head(ofSize: 120), limits: limits) == 431)
    }

    // MARK: Header count

    static func request(withFieldCount count: Int) -> String {
        // Host is one of the fields.
        let extra = (1..<count).map { "X-\($0): v\r\n" }.joined()
        return "GET / HTTP/1.1\r\nHost: h\r\n\(extra)\r\n"
    }

    @Test func hundredHeaderFields_areAccepted() {
        let run = parseAllAtOnce(Self.request(withFieldCount: 100))
        #expect(run.requests.first?.headers.count == 100)
    }

    @Test(arguments: [101, 102, 500])
    func moreThanHundredHeaderFields_isRejectedWith431(count: Int) {
        #expect(errorStatus(Self.request(withFieldCount: count)) == 431)
    }

    @Test func customHeaderCountLimit_isHonoured() {
        #expect(errorStatus(Self.request(withFieldCount: 8), limits: smallLimits) == nil)
        #expect(errorStatus(Self.request(withFieldCount: 9), limits: smallLimits) == 431)
    }

    // MARK: Body size

    @Test func contentLengthAtTheLimit_isAccepted() {
        let body = String(repeating: "b", count: 16)
        let run = parseAllAtOnce("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n\(body)", limits: smallLimits)
        #expect(run.requests.map(\.bodyText) == [body])
    }

    @Test func contentLengthOverTheLimit_isRejectedWith413_beforeTheBodyArrives() {
        // Only the head is sent: the announced length alone must trigger the 413.
        let (event, _, _) = singleEvent("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n", limits: smallLimits)
        #expect(event.errorStatus == 413)
    }

    @Test(arguments: ["1048577", "2000000", "999999999999999"])
    func contentLengthOverTheDefaultLimit_isRejectedWith413(length: String) {
        #expect(errorStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(length)\r\n\r\n") == 413)
    }

    @Test func contentLengthOfExactlyOneMiB_isAccepted() {
        let size = 1_048_576
        var input = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(size)\r\n\r\n")
        input.append(contentsOf: [UInt8](repeating: 0x61, count: size))
        let run = parseAllAtOnce(input)
        #expect(run.requests.first?.body.count == size)
        #expect(run.end == .needMore(buffered: 0))
    }

    @Test func chunksAddingUpToTheLimit_areAccepted() {
        let run = parseAllAtOnce(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n6\r\nabcdef\r\n0\r\n\r\n",
            limits: smallLimits
        )
        #expect(run.requests.first?.body.count == 16)
    }

    @Test func chunksAddingUpPastTheLimit_areRejectedWith413() {
        let run = parseAllAtOnce(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n7\r\nabcdefg\r\n0\r\n\r\n",
            limits: smallLimits
        )
        #expect(run.requests.isEmpty)
        #expect(run.errorStatus == 413)
    }

    @Test func oversizedChunk_isRejectedWith413_beforeItsDataArrives() {
        var parser = RequestParser(limits: smallLimits)
        var buffer = InboundBuffer(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(parser.parse(&buffer).isNeedMore)
        buffer.append(bytes("11\r\n"))
        #expect(parser.parse(&buffer).errorStatus == 413)
    }

    @Test func hugeChunkSize_isRejectedWith413_withDefaultLimits() {
        #expect(
            errorStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n") == 413)
        #expect(errorStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n") == 413)
    }

    @Test func manySmallChunksPastTheDefaultLimit_areRejectedWith413() {
        var input = bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = bytes("8000\r\n") + [UInt8](repeating: 0x7A, count: 0x8000) + bytes("\r\n")
        for _ in 0..<33 { input += chunk }  // 33 × 32 KiB = 1 MiB + 32 KiB
        let run = parseAllAtOnce(input + bytes("0\r\n\r\n"))
        #expect(run.requests.isEmpty)
        #expect(run.errorStatus == 413)
    }

    @Test func trailerSectionOverTheHeaderLimit_isRejectedWith431() {
        let trailers = (0..<12).map { "X-Trailer-\($0): 0123456789\r\n" }.joined()
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\(trailers)\r\n"
        #expect(errorStatus(input, limits: smallLimits) == 431)
    }
}
