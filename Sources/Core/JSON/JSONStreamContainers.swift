/// Keyed container: members written in call order under their snake_case names. Every
/// `encodeIfPresent` overload writes `null` for nil, because synthesized `encode(to:)` uses
/// them for optionals and the API documents every field as always present.
struct JSONStreamKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let stream: JSONStreamEncoder
    let object: JSONStreamEncoder.OpenValueID

    var codingPath: [any CodingKey] { stream.codingPath(of: object) }

    private func start(_ key: Key) throws {
        guard stream.startMember(of: object, key: key) else { throw JSONStreamEncoder.Abandoned() }
    }

    mutating func encodeNil(forKey key: Key) throws { try start(key); stream.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try start(key); stream.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try start(key); stream.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try start(key); try stream.write(value, pathKey: key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try start(key); try stream.write(value, pathKey: key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try start(key); stream.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try start(key); try stream.write(value, pathKey: key)
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int128?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: UInt128?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    // Each overload unwraps in place: a shared generic helper taking `T?` made every call look
    // up the metadata of `Optional<T>` at run time, a seventh of a page's encoding.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested =
            stream.startMember(of: object, key: key) ? stream.openNested(.object, pathKey: key) : .none
        return KeyedEncodingContainer(JSONStreamKeyedEncoding<NestedKey>(stream: stream, object: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested =
            stream.startMember(of: object, key: key) ? stream.openNested(.array, pathKey: key) : .none
        return JSONStreamUnkeyedEncoding(stream: stream, array: nested)
    }

    /// The member `super` (verbatim), for class hierarchies.
    mutating func superEncoder() -> any Encoder {
        let opened = stream.startMember(of: object, name: "super", verbatim: true)
        return JSONStreamSuperEncoder(
            stream: stream, value: opened ? stream.openNested(.unstarted, pathKey: JSONVerbatimKey("super")) : .none)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let opened = stream.startMember(of: object, name: key.stringValue)
        return JSONStreamSuperEncoder(
            stream: stream, value: opened ? stream.openNested(.unstarted, pathKey: key) : .none)
    }
}

struct JSONStreamUnkeyedEncoding: UnkeyedEncodingContainer {
    let stream: JSONStreamEncoder
    let array: JSONStreamEncoder.OpenValueID

    var codingPath: [any CodingKey] { stream.codingPath(of: array) }
    var count: Int { stream.count(of: array) }

    @discardableResult
    private func start() throws -> Int {
        guard let index = stream.startElement(of: array) else { throw JSONStreamEncoder.Abandoned() }
        return index
    }

    mutating func encodeNil() throws { try start(); stream.writeNull() }
    mutating func encode(_ value: Bool) throws { try start(); stream.writeBool(value) }
    mutating func encode(_ value: String) throws { try start(); stream.writeString(value) }
    mutating func encode(_ value: Double) throws {
        let index = try start(); try stream.write(value, pathKey: JSONIndexKey(index))
    }
    mutating func encode(_ value: Float) throws {
        let index = try start(); try stream.write(value, pathKey: JSONIndexKey(index))
    }
    mutating func encode(_ value: Int) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int128) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt128) throws { try start(); stream.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try start(); try stream.write(value, pathKey: JSONIndexKey(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        let nested =
            stream.startElement(of: array).map { stream.openNested(.object, pathKey: JSONIndexKey($0)) } ?? .none
        return KeyedEncodingContainer(JSONStreamKeyedEncoding<NestedKey>(stream: stream, object: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested =
            stream.startElement(of: array).map { stream.openNested(.array, pathKey: JSONIndexKey($0)) } ?? .none
        return JSONStreamUnkeyedEncoding(stream: stream, array: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let nested =
            stream.startElement(of: array).map { stream.openNested(.unstarted, pathKey: JSONIndexKey($0)) } ?? .none
        return JSONStreamSuperEncoder(stream: stream, value: nested)
    }
}

/// Single value: one write to a value nothing was written to yet (the tree keeps the last of
/// several writes; the stream leaves that case to it).
struct JSONStreamSingleValueEncoding: SingleValueEncodingContainer {
    let stream: JSONStreamEncoder
    let value: JSONStreamEncoder.OpenValueID

    var codingPath: [any CodingKey] { stream.codingPath(of: value) }

    private func start() throws {
        guard stream.startSingleValue(of: value) else { throw JSONStreamEncoder.Abandoned() }
    }

    mutating func encodeNil() throws { try start(); stream.writeNull() }
    mutating func encode(_ value: Bool) throws { try start(); stream.writeBool(value) }
    mutating func encode(_ value: String) throws { try start(); stream.writeString(value) }
    mutating func encode(_ value: Double) throws { try start(); try stream.write(value, pathKey: nil) }
    mutating func encode(_ value: Float) throws { try start(); try stream.write(value, pathKey: nil) }
    mutating func encode(_ value: Int) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: Int128) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { try start(); stream.writeInteger(value) }
    mutating func encode(_ value: UInt128) throws { try start(); stream.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try start(); try stream.write(value, pathKey: nil) }
}

/// The `Encoder` for a `super` member or element: bound to its own value, since the model
/// holds it beside the encoder of the value around it.
final class JSONStreamSuperEncoder: Encoder {
    let stream: JSONStreamEncoder
    let value: JSONStreamEncoder.OpenValueID

    init(stream: JSONStreamEncoder, value: JSONStreamEncoder.OpenValueID) {
        self.stream = stream
        self.value = value
    }

    var codingPath: [any CodingKey] { stream.codingPath(of: value) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        stream.keyedContainer(keyedBy: type, for: value)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        stream.unkeyedContainer(for: value)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValueEncoding(stream: stream, value: value)
    }
}
