/// A JSON value written out once, for output that is the same on every request (the
/// permissions `GET /me` lists): the stream encoder copies its bytes where the value belongs
/// instead of encoding each element again; every other encoder encodes `value`.
public struct EncodedJSON: Encodable, Sendable, Equatable {
    public let value: JSONValue
    /// `value` as `JSONWriter` writes it, which is what the stream would have written.
    let bytes: [UInt8]

    public init(_ value: JSONValue) {
        self.value = value
        var bytes: [UInt8] = []
        JSONWriter.write(value, into: &bytes)
        self.bytes = bytes
    }

    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

    public static func == (lhs: EncodedJSON, rhs: EncodedJSON) -> Bool { lhs.bytes == rhs.bytes }
}
