// libFuzzer entry point for the HTTP/1.1 request parser. Built by `Fuzz/run.sh` together with the
// parser's sources and `Tests/HTTPTests/ParserInvariants.swift` into one module, so it sees the
// parser's internal types directly and checks exactly the invariants the unit tests check.
//
// Input layout: the first byte steers the run, the rest is what a client sent.
//   bit 0      0: default limits (16 KiB head, 100 fields, 1 MiB body)
//              1: small limits (128-byte head, 4 fields, 16-byte body), to reach 413/431 cheaply
//   bits 1-7   where the bytes are split into two reads: (control >> 1) / 127 of the way in
// Every input is parsed in those two reads, in one read and one byte per read; any difference,
// crash, unexpected status or malformed accepted request traps, and libFuzzer saves the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limits = control & 1 == 0
        ? ParserLimits()
        : ParserLimits(maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 16)
    let cut = Int(control >> 1) * input.count / 127
    let (_, violation) = ParserInvariants.check(input, cuts: [cut], limits: limits, byteAtATime: true)
    if let violation {
        fatalError("""
            parser invariant violated: \(violation)
            input: \(String(decoding: input, as: UTF8.self).debugDescription)
            split after \(cut) bytes, limits \(limits.maxHeaderBytes)/\(limits.maxHeaderCount)/\(limits.maxBodyBytes)
            """)
    }
    return 0
}
