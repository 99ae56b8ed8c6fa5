import Testing

@testable import HTTP

/// Response serialisation: the server owns the framing headers, whatever the handler set.
@Suite struct ResponseWriterTests {
    static let date = "Sun, 22 Nov 2026 09:30:00 GMT"

    /// A serialised response split into status line, field lines and body.
    struct Written {
        var statusLine: String
        var fields: [(name: String, value: String)]
        var body: [UInt8]

        init(_ bytes: [UInt8]) {
            let separator: [UInt8] = [13, 10, 13, 10]
            var split = bytes.count
            for i in 0...(bytes.count - 4) where Array(bytes[i..<(i + 4)]) == separator {
                split = i
                break
            }
            let head = String(decoding: bytes[..<split], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            statusLine = lines.removeFirst()
            fields = lines.map { line in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), String(line[line.index(colon, offsetBy: 2)...]))
            }
            body = split + 4 <= bytes.count ? Array(bytes[(split + 4)...]) : []
        }

        func values(_ name: String) -> [String] {
            fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    static func write(
        _ response: HTTPResponse, method: String = "GET", version: HTTPVersion = .http1_1, keepAlive: Bool = true
    ) -> Written {
        Written(ResponseWriter.serialize(response, method: method, version: version, keepAlive: keepAlive, date: date))
    }

    @Test func okResponse_hasStatusLine_dateContentLength_andBody() {
        let written = Self.write(
            HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: bytes("hello")))
        #expect(written.statusLine == "HTTP/1.1 200 OK")
        #expect(written.values("Content-Type") == ["text/plain"])
        #expect(written.values("Date") == [Self.date])
        #expect(written.values("Content-Length") == ["5"])
        #expect(written.values("Connection").isEmpty, "1.1 keep-alive is the default, no header needed")
        #expect(written.body == bytes("hello"))
    }

    @Test func exactBytes_forASimpleResponse() {
        let out = ResponseWriter.serialize(
            HTTPResponse(status: 404, body: bytes("nope")), method: "GET", version: .http1_1, keepAlive: true,
            date: Self.date
        )
        #expect(
            String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 404 Not Found\r\nDate: \(Self.date)\r\nContent-Length: 4\r\n\r\nnope")
    }

    @Test func emptyBody_stillGetsContentLengthZero() {
        let written = Self.write(HTTPResponse(status: 200))
        #expect(written.values("Content-Length") == ["0"])
        #expect(written.body.isEmpty)
    }

    @Test(arguments: [204, 304])
    func noContentAndNotModified_haveNoContentLength_andNoBody(status: Int) {
        let written = Self.write(
            HTTPResponse(status: status, headers: ["Content-Length": "10"], body: bytes("ignored")))
        #expect(written.values("Content-Length").isEmpty)
        #expect(written.values("Date") == [Self.date])
        #expect(written.body.isEmpty)
    }

    @Test func handlerSuppliedFramingHeaders_areReplaced() {
        let headers = HTTPHeaders([
            ("Content-Length", "999"), ("content-length", "1"), ("Transfer-Encoding", "chunked"),
            ("Connection", "upgrade"), ("DATE", "yesterday"), ("X-Kept", "yes"),
        ])
        let written = Self.write(HTTPResponse(status: 200, headers: headers, body: bytes("abc")), keepAlive: false)
        #expect(written.values("Content-Length") == ["3"])
        #expect(written.values("Transfer-Encoding").isEmpty)
        #expect(written.values("Connection") == ["close"])
        #expect(written.values("Date") == [Self.date])
        #expect(written.values("X-Kept") == ["yes"])
        #expect(written.body == bytes("abc"))
    }

    @Test func headResponse_hasContentLengthOfTheBody_butNoBody() {
        let written = Self.write(HTTPResponse(status: 200, body: bytes("twelve bytes")), method: "HEAD")
        #expect(written.values("Content-Length") == ["12"])
        #expect(written.body.isEmpty)
    }

    @Test func keepAliveFalse_addsConnectionClose() {
        #expect(Self.write(HTTPResponse(status: 200), keepAlive: false).values("Connection") == ["close"])
        #expect(
            Self.write(HTTPResponse(status: 200), version: .http1_0, keepAlive: false).values("Connection") == ["close"]
        )
    }

    @Test func http10KeepAlive_addsConnectionKeepAlive() {
        let written = Self.write(HTTPResponse(status: 200), version: .http1_0, keepAlive: true)
        #expect(written.values("Connection") == ["keep-alive"])
        #expect(written.statusLine == "HTTP/1.1 200 OK")
    }

    @Test func crAndLFInHeaderValues_areStripped() {
        let headers = HTTPHeaders([("X-Injected", "a\r\nSet-Cookie: evil=1\r\n\r\nbody"), ("Location", "/x\ry\nz")])
        let out = ResponseWriter.serialize(
            HTTPResponse(status: 302, headers: headers), method: "GET", version: .http1_1, keepAlive: true,
            date: Self.date
        )
        let written = Written(out)
        #expect(written.values("X-Injected") == ["aSet-Cookie: evil=1body"])
        #expect(written.values("Set-Cookie").isEmpty)
        #expect(written.values("Location") == ["/xyz"])
        // The only CRLFs are line ends: status line, 4 fields, blank line.
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n").count == 7)
        #expect(out.filter { $0 == 10 }.count == 6)
        #expect(out.filter { $0 == 13 }.count == 6)
    }

    @Test func repeatedHandlerHeaders_areAllWritten_inOrder() {
        let headers = HTTPHeaders([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        #expect(Self.write(HTTPResponse(status: 200, headers: headers)).values("Set-Cookie") == ["a=1", "b=2"])
    }

    @Test(arguments: [
        (200, "OK"), (201, "Created"), (400, "Bad Request"), (413, "Content Too Large"),
        (431, "Request Header Fields Too Large"), (501, "Not Implemented"), (505, "HTTP Version Not Supported"),
        (299, "Status 299"),
    ])
    func statusLine_carriesReasonPhrase(status: Int, reason: String) {
        #expect(Self.write(HTTPResponse(status: status)).statusLine == "HTTP/1.1 \(status) \(reason)")
    }

    @Test func parseErrorResponse_asTheServerSendsIt_closesTheConnection() {
        // HTTPServer answers a parse error with `.text(status, reason)` and keepAlive false.
        let error = HTTPParseError(status: 431, reason: "request header fields too large")
        let written = Self.write(.text(error.status, error.reason), keepAlive: false)
        #expect(written.statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(written.values("Connection") == ["close"])
        #expect(written.values("Content-Type") == ["text/plain; charset=utf-8"])
        #expect(written.body == bytes("request header fields too large\n"))
    }

    @Test func continueResponse_isTheInterim100() {
        #expect(ResponseWriter.continueResponse == bytes("HTTP/1.1 100 Continue\r\n\r\n"))
    }

    @Test func httpDate_isIMFFixdate() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_795_339_800) == "Sun, 22 Nov 2026 09:30:00 GMT")
    }

    @Test func serializedResponse_isReadableByTheRequestParsersFraming() {
        // Round trip through a tiny reader: the Content-Length must match the bytes that follow.
        let out = ResponseWriter.serialize(
            HTTPResponse(status: 200, headers: ["Content-Length": "1"], body: bytes("0123456789")),
            method: "GET", version: .http1_1, keepAlive: true, date: Self.date
        )
        let written = Written(out)
        #expect(Int(written.values("Content-Length").first ?? "") == written.body.count)
    }
}
