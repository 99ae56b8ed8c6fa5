import Testing

@testable import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// Valid requests the random inputs are mutated from. `Fuzz/corpus/seeds/` holds the same ones.
enum ParserSeeds {
    static let requests: [String] = [
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET /search?q=swift&page=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
        "POST /items HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"name\":\"x\"}\n",
        "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\nA\r\n0123456789\r\n0\r\n\r\n",
        "GET /old HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: test\r\n\r\n",
        "POST /form HTTP/1.0\r\nContent-Length: 7\r\n\r\na=1&b=2",
        "HEAD /file.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        "PUT /doc HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
        "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokPOST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nDELETE /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "\r\nPATCH /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Empty:\r\nX-Spaces:  a  b  \r\n\r\n",
    ]
}

/// Turns valid requests into plausible broken ones, each mutation aimed at a part of the parser.
struct RequestMutator {
    var rng: SplitMix64

    static let interestingBytes: [UInt8] =
        Array("\r\n\0 \t:;,=-+/*0123456789aAfFxX\u{7F}".utf8) + [0x80, 0xFF, 0x01, 0x0B]
    static let fragments: [[UInt8]] = [
        "Content-Length: 5\r\n", "Content-Length: 0\r\n", "Content-Length: 99999999\r\n", "Content-Length: 3, 4\r\n",
        "Content-Length: -1\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked, gzip\r\n", "transfer-encoding: CHUNKED\r\n", "Host: other\r\n", "Host:\r\n",
        "Expect: 100-continue\r\n", "Connection: close\r\n", " folded\r\n", "\tfolded\r\n", "X-A : b\r\n",
        "X-A: \0\r\n",
        "\r\n", "\r\n\r\n", "\n", "\r", "0\r\n\r\n", "5\r\nhello\r\n", "ffffffff\r\n", "1;a=b\r\nz\r\n", "HTTP/1.1",
        "HTTP/2.0", "HTTP/1.0", " HTTP/1.1", "GET / HTTP/1.1\r\nHost: s\r\n\r\n",
    ].map { Array($0.utf8) }
    static let versions: [[UInt8]] = [
        "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "http/1.1", "HTTP/1.1 ", "HTTP/11", "HTTP/1.",
    ]
    .map { Array($0.utf8) }

    mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var data = seed
        // A few inputs stay valid, so the accepting paths are exercised under random splits too.
        let count = rng.chance(5) ? 0 : 1 + rng.below(rng.chance(20) ? 8 : 3)
        for _ in 0..<count { mutateOnce(&data) }
        return data
    }

    private mutating func position(in data: [UInt8], inclusive: Bool = false) -> Int {
        let bound = data.count + (inclusive ? 1 : 0)
        return bound == 0 ? 0 : rng.below(bound)
    }

    /// Offsets just after each LF: where lines start.
    private func lineStarts(_ data: [UInt8]) -> [Int] {
        var starts = [0]
        var i = 0
        while i + 1 < data.count {
            if data[i] == 10 { starts.append(i + 1) }
            i += 1
        }
        return starts
    }

    private mutating func randomLine(_ data: [UInt8]) -> Range<Int>? {
        let starts = lineStarts(data)
        guard !starts.isEmpty, !data.isEmpty else { return nil }
        let start = starts[rng.below(starts.count)]
        var end = start
        while end < data.count && data[end] != 10 { end += 1 }
        return start..<min(end + 1, data.count)
    }

    private mutating func randomNumber() -> [UInt8] {
        switch rng.below(5) {
        case 0: return Array(String(rng.below(20)).utf8)
        case 1: return Array(String(rng.below(100_000)).utf8)
        case 2: return Array(String(rng.below(64), radix: 16).utf8)
        case 3: return Array(String(UInt64(rng.below(1 << 30)) * UInt64(rng.below(1 << 30) + 1), radix: 16).utf8)
        default: return Array(String(rng.next() % 100_000_000_000_000_000).utf8)
        }
    }

    private mutating func mutateOnce(_ data: inout [UInt8]) {
        switch rng.below(15) {
        case 0:  // flip one bit
            guard !data.isEmpty else { return }
            data[position(in: data)] ^= UInt8(1) << UInt8(rng.below(8))
        case 1:  // overwrite with a random byte
            guard !data.isEmpty else { return }
            data[position(in: data)] = UInt8(truncatingIfNeeded: rng.next())
        case 2:  // overwrite with a byte the parser cares about
            guard !data.isEmpty else { return }
            data[position(in: data)] = Self.interestingBytes[rng.below(Self.interestingBytes.count)]
        case 3:  // insert CR, LF, NUL, SP, ':', digits …
            data.insert(
                Self.interestingBytes[rng.below(Self.interestingBytes.count)], at: position(in: data, inclusive: true))
        case 4:  // delete a few bytes
            guard !data.isEmpty else { return }
            let at = position(in: data)
            data.removeSubrange(at..<min(data.count, at + 1 + rng.below(4)))
        case 5:  // truncate
            data.removeSubrange(position(in: data, inclusive: true)...)
        case 6:  // duplicate a line (header lines, chunk lines)
            guard let line = randomLine(data) else { return }
            data.insert(contentsOf: Array(data[line]), at: line.upperBound)
        case 7:  // drop a line
            guard let line = randomLine(data) else { return }
            data.removeSubrange(line)
        case 8:  // insert a framing-relevant fragment at a line start
            let starts = lineStarts(data)
            data.insert(
                contentsOf: Self.fragments[rng.below(Self.fragments.count)], at: starts[rng.below(starts.count)])
        case 9:  // insert a fragment anywhere
            data.insert(
                contentsOf: Self.fragments[rng.below(Self.fragments.count)], at: position(in: data, inclusive: true))
        case 10:  // replace a number (Content-Length value, chunk size) with a random one
            var runs: [Range<Int>] = []
            var i = 0
            while i < data.count {
                if hexValue(data[i]) != nil {
                    let start = i
                    while i < data.count, hexValue(data[i]) != nil { i += 1 }
                    runs.append(start..<i)
                } else {
                    i += 1
                }
            }
            guard !runs.isEmpty else { return }
            data.replaceSubrange(runs[rng.below(runs.count)], with: randomNumber())
        case 11:  // replace the version
            guard let at = find(Array("HTTP/1.".utf8), in: data) else { return }
            data.replaceSubrange(at..<min(data.count, at + 8), with: Self.versions[rng.below(Self.versions.count)])
        case 12:  // turn one CRLF into a bare LF or a bare CR
            let crlfs = (0..<max(0, data.count - 1)).filter { data[$0] == 13 && data[$0 + 1] == 10 }
            guard !crlfs.isEmpty else { return }
            data.remove(at: crlfs[rng.below(crlfs.count)] + (rng.chance(50) ? 0 : 1))
        case 13:  // pipeline another seed behind this one
            let other = ParserSeeds.requests[rng.below(ParserSeeds.requests.count)]
            data.append(contentsOf: Array(other.utf8))
        default:  // copy a random slice somewhere else
            guard !data.isEmpty else { return }
            let from = position(in: data)
            let slice = Array(data[from..<min(data.count, from + 1 + rng.below(24))])
            data.insert(contentsOf: slice, at: position(in: data, inclusive: true))
        }
    }

    private func find(_ needle: [UInt8], in data: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        outer: for i in 0...(data.count - needle.count) {
            for j in 0..<needle.count where data[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    /// Random read boundaries: mostly small reads, sometimes one big one.
    mutating func cuts(for length: Int) -> [Int] {
        guard length > 1 else { return [] }
        var cuts: [Int] = []
        var at = 0
        let small = rng.chance(30)
        while true {
            at += small ? 1 + rng.below(3) : 1 + rng.below(max(1, length / 2))
            if at >= length { break }
            cuts.append(at)
        }
        return cuts
    }
}

/// Bounded random testing of the parser: mutated valid requests, fed in random pieces, must only
/// ever produce requests, `.needMore` or a known error status, and the same result however they
/// are split. The seed is printed; rerun a failure with `PARSER_FUZZ_SEED=<seed>`. Raise the
/// count with `PARSER_FUZZ_ITERATIONS` (`Fuzz/run.sh` uses libFuzzer instead, see Fuzz/README.md).
@Suite struct ParserRandomInputTests {
    static let defaultIterations = 100_000

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    @Test func mutatedRequests_neverCrashHangOrMisframe() {
        let iterations = Self.environment("PARSER_FUZZ_ITERATIONS").flatMap { Int($0) } ?? Self.defaultIterations
        let seed = Self.environment("PARSER_FUZZ_SEED").flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("ParserRandomInputTests: seed \(seed), \(iterations) iterations (replay with PARSER_FUZZ_SEED=\(seed))")

        var mutator = RequestMutator(rng: SplitMix64(seed: seed))
        let seeds = ParserSeeds.requests.map { Array($0.utf8) }
        var outcomes: [String: Int] = [:]
        var failures = 0
        var done = 0
        let clock = ContinuousClock()
        let started = clock.now

        for iteration in 0..<iterations {
            let input = mutator.mutate(seeds[mutator.rng.below(seeds.count)])
            let cuts = mutator.cuts(for: input.count)
            // Small random limits make 413 and 431 reachable with short inputs; mostly the defaults.
            let limits =
                mutator.rng.chance(75)
                ? ParserLimits()
                : ParserLimits(
                    maxHeaderBytes: 32 + mutator.rng.below(160), maxHeaderCount: 1 + mutator.rng.below(8),
                    maxBodyBytes: mutator.rng.below(24)
                )
            let byteAtATime = mutator.rng.chance(10)
            let (run, violation) = ParserInvariants.check(input, cuts: cuts, limits: limits, byteAtATime: byteAtATime)
            if let violation {
                failures += 1
                Issue.record(
                    """
                    seed \(seed), iteration \(iteration): \(violation)
                    input: \(String(decoding: input, as: UTF8.self).debugDescription) (bytes: \(input))
                    cuts: \(cuts), limits: \(limits.maxHeaderBytes)/\(limits.maxHeaderCount)/\(limits.maxBodyBytes)
                    """)
                if failures >= 5 { break }
                continue
            }
            let key: String
            switch run.end {
            case .error(let status): key = "error \(status)"
            case .needMore(let buffered): key = buffered == 0 && !run.requests.isEmpty ? "complete" : "needMore"
            }
            outcomes[key, default: 0] += 1
            outcomes["requests", default: 0] += run.requests.count
            done += 1
        }
        let elapsed = clock.now - started
        print("ParserRandomInputTests: \(done) inputs passed in \(elapsed): \(outcomes.sorted { $0.key < $1.key })")
        // The mutations must actually reach the error paths, or this test checks little.
        for key in ["complete", "needMore", "error 400", "error 413", "error 431", "error 501", "error 505"]
        where done >= 10_000 {
            #expect(outcomes[key, default: 0] > 0, "no input ended as \(key)")
        }
    }
}
