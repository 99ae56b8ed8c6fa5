import Core
import Foundation
import HTTP
import Routing
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The server over real sockets: framing, keep-alive, pipelining, limits.
@Suite struct ProtocolTests {
    @Test func keepAlive_servesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        for word in ["one", "two", "three"] {
            try client.send("GET /echo/\(word) HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == word)
            #expect(response.header("Connection") == nil)
            #expect(response.header("Date") != nil)
        }
    }

    @Test func pipelinedRequests_areAnsweredInOrder() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        // A slow request first: the fast ones behind it must still come back after it.
        try client.send(
            "GET /slow?ms=200 HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/b HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/d HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        #expect(try client.readResponse().text == "slept 200")
        #expect(try client.readResponse().text == "b")
        #expect(try client.readResponse().text == "fast")
        #expect(try client.readResponse().text == "d")
    }

    @Test func manyPipelinedInlineRequests_allAnswered() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        let count = 2_000
        try client.send(String(repeating: "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n", count: count))
        for _ in 0..<count { #expect(try client.readResponse().status == 200) }
    }

    @Test func contentLengthBody_isEchoed() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "hello world")
    }

    @Test func chunkedBody_isDecoded() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        usleep(50_000)
        try client.send("6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.text == "hello world")
        // The connection stays usable after a chunked request.
        try client.send("GET /echo/again HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().text == "again")
    }

    @Test func expectContinue_getsInterimResponseBeforeBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("ping")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "ping")
    }

    @Test func expectContinue_withBodyPastLimit_gets413WithoutContinue() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 1_000 }
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func chunkedBodyPastLimit_gets413() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 1_000 }
        let client = try RawClient(port: server.port)
        let chunk = String(repeating: "x", count: 600)
        try client.send(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
        )
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.text.contains(#""code":"payload_too_large""#))
        #expect(client.isClosedByPeer())
    }

    @Test func oversizedHeaderSection_gets431() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        let big = String(repeating: "a", count: 17_000)
        try? client.send("GET /fast HTTP/1.1\r\nHost: t\r\nX-Big: \(big)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.text.contains(#""code":"headers_too_large""#))
        #expect(client.isClosedByPeer())
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n",
        "GET /fast HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /fast HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "GET /fast HTTP/9.9x\r\nHost: t\r\n\r\n",
        "G@T /fast HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /fast HTTP/1.1\r\nHost: t\r\nBad\u{0}Header: x\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ])
    func malformedRequest_gets400AndClose(_ raw: String) throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send(raw)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        // The same problem+json shape as every other error, never an echo of the input.
        #expect(response.header("Content-Type") == "application/problem+json")
        let problem = try JSONParser.parse(response.body).objectValue
        #expect(problem?["code"]?.stringValue == "bad_request")
        #expect(problem?["status"]?.numberText == "400")
        #expect(!response.text.contains("Bad\u{0}Header"))
        #expect(client.isClosedByPeer())
    }

    @Test func smuggledSecondRequest_isNeverAnswered() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port, timeout: 1)
        try client.send(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        #expect(try client.readResponse().status == 400)
        let after = client.bytesUntilClosed()
        #expect(after == [], "after the 400: \(after.map { String(decoding: $0, as: UTF8.self) } ?? "no close")")
    }

    @Test func http10_closesAfterResponse_unlessKeepAlive() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("GET /echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.header("Connection") == "keep-alive")
        try client.send("GET /echo/b HTTP/1.0\r\n\r\n")
        let second = try client.readResponse()
        #expect(second.text == "b")
        #expect(second.header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func connectionClose_isHonoured() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("GET /echo/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func head_hasContentLengthButNoBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("HEAD /echo/abc HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/next HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "3")
        // The next response starts right after the head: no stray body bytes in between.
        #expect(try client.readResponse().text == "next")
    }

    @Test func percentEncodedPathAndRepeatedQuery_areDecoded() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("GET /echo/caf%C3%A9%20au%2Flait?n=1&n=two%20words HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().text == "café au/lait,1,two words")
    }

    @Test func ipv6Loopback_isServed() throws {
        let server = try TestServer(host: "::1")
        let client = try RawClient(port: server.port, host: "::1")
        try client.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }
}
