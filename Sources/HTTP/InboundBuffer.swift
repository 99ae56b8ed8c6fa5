/// Bytes read from a connection and not yet consumed by the parser. Consumed bytes are dropped
/// lazily so a pipelined burst is parsed without copying per request.
public struct InboundBuffer: Sendable {
    public private(set) var storage: [UInt8] = []
    public private(set) var readIndex = 0

    public init() {}

    public init(_ bytes: [UInt8]) { storage = bytes }

    public var readableCount: Int { storage.count - readIndex }
    public var isEmpty: Bool { readableCount == 0 }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    public mutating func append(_ bytes: [UInt8]) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    public mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 65_536)
            readIndex = 0
        }
    }

    /// Frees the buffer's memory when the connection goes idle, so idle keep-alive
    /// connections cost only their bookkeeping.
    public mutating func releaseIfEmpty() {
        // A small buffer is kept: freeing it would only mean allocating it again for the
        // connection's next request, and a few hundred bytes per idle connection is nothing.
        if isEmpty, storage.capacity > 4_096 { storage = []; readIndex = 0 }
    }

    private mutating func compactIfWorthIt() {
        if readIndex > 0, readIndex >= storage.count / 2 {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
