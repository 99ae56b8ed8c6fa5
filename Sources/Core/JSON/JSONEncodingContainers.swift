/// Keyed container: members appended in call order under their snake_case names. Every
/// `encodeIfPresent` overload writes `null` for nil, because synthesized `encode(to:)` uses
/// them for optionals and the API documents every field as always present.
struct JSONKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let builder: JSONObjectBuilder
    let path: JSONCodingPath?

    var codingPath: [any CodingKey] { JSONCodingPath.codingPath(path) }

    private func add(_ value: JSONValue, forKey key: Key) {
        builder.members.append((JSONKeyCase.snakeCase(key.stringValue), .value(value)))
    }

    private func add<T: Encodable>(_ value: T, forKey key: Key) throws {
        let name = JSONKeyCase.snakeCase(key.stringValue)
        let memberPath = JSONCodingPath.appending(path, key: name, codingKey: key)
        builder.members.append((name, try JSONEncoderImpl.encodeValue(value, at: memberPath)))
    }

    private func addOptional<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try add(value, forKey: key) } else { add(.null, forKey: key) }
    }

    mutating func encodeNil(forKey key: Key) throws { add(.null, forKey: key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(.bool(value), forKey: key) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(.string(value), forKey: key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try add(value, forKey: key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try add(value, forKey: key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { add(.number(String(value)), forKey: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try add(value, forKey: key) }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int128?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt128?, forKey key: Key) throws { try addOptional(value, forKey: key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try addOptional(value, forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let name = JSONKeyCase.snakeCase(key.stringValue)
        let box = JSONEncodingBox()
        builder.members.append((name, .box(box)))
        return JSONEncoderImpl(box: box, path: JSONCodingPath.appending(path, key: name, codingKey: key)).container(
            keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let name = JSONKeyCase.snakeCase(key.stringValue)
        let box = JSONEncodingBox()
        builder.members.append((name, .box(box)))
        return JSONEncoderImpl(box: box, path: JSONCodingPath.appending(path, key: name, codingKey: key))
            .unkeyedContainer()
    }

    /// The member `super`, for class hierarchies.
    mutating func superEncoder() -> any Encoder {
        let box = JSONEncodingBox()
        builder.members.append(("super", .box(box)))
        return JSONEncoderImpl(
            box: box, path: JSONCodingPath.appending(path, key: "super", codingKey: JSONVerbatimKey("super")))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let name = JSONKeyCase.snakeCase(key.stringValue)
        let box = JSONEncodingBox()
        builder.members.append((name, .box(box)))
        return JSONEncoderImpl(box: box, path: JSONCodingPath.appending(path, key: name, codingKey: key))
    }
}

struct JSONUnkeyedEncoding: UnkeyedEncodingContainer {
    let builder: JSONArrayBuilder
    let path: JSONCodingPath?

    var codingPath: [any CodingKey] { JSONCodingPath.codingPath(path) }
    var count: Int { builder.elements.count }

    private func add(_ value: JSONValue) {
        builder.elements.append(.value(value))
    }

    private func add<T: Encodable>(_ value: T) throws {
        let elementPath = JSONCodingPath.appending(path, index: builder.elements.count)
        builder.elements.append(try JSONEncoderImpl.encodeValue(value, at: elementPath))
    }

    mutating func encodeNil() throws { add(.null) }
    mutating func encode(_ value: Bool) throws { add(.bool(value)) }
    mutating func encode(_ value: String) throws { add(.string(value)) }
    mutating func encode(_ value: Double) throws { try add(value) }
    mutating func encode(_ value: Float) throws { try add(value) }
    mutating func encode(_ value: Int) throws { add(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { add(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { add(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { add(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { add(.number(String(value))) }
    mutating func encode(_ value: Int128) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { add(.number(String(value))) }
    mutating func encode(_ value: UInt128) throws { add(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { try add(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        let box = JSONEncodingBox()
        let elementPath = JSONCodingPath.appending(path, index: builder.elements.count)
        builder.elements.append(.box(box))
        return JSONEncoderImpl(box: box, path: elementPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let box = JSONEncodingBox()
        let elementPath = JSONCodingPath.appending(path, index: builder.elements.count)
        builder.elements.append(.box(box))
        return JSONEncoderImpl(box: box, path: elementPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let box = JSONEncodingBox()
        let elementPath = JSONCodingPath.appending(path, index: builder.elements.count)
        builder.elements.append(.box(box))
        return JSONEncoderImpl(box: box, path: elementPath)
    }
}

/// Single value: the last write wins, as with a plain assignment.
struct JSONSingleValueEncoding: SingleValueEncodingContainer {
    let box: JSONEncodingBox
    let path: JSONCodingPath?

    var codingPath: [any CodingKey] { JSONCodingPath.codingPath(path) }

    private func set(_ value: JSONValue) {
        box.content = .value(value)
    }

    private func set<T: Encodable>(_ value: T) throws {
        switch try JSONEncoderImpl.encodeValue(value, at: path) {
        case .value(let json): box.content = .value(json)
        case .box(let inner): box.content = inner.content
        }
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { try set(value) }
    mutating func encode(_ value: Float) throws { try set(value) }
    mutating func encode(_ value: Int) throws { set(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { set(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { set(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { set(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { set(.number(String(value))) }
    mutating func encode(_ value: Int128) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { set(.number(String(value))) }
    mutating func encode(_ value: UInt128) throws { set(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { try set(value) }
}
