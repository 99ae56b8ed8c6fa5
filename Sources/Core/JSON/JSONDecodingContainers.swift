/// The `Decoder` a model's `init(from:)` sees for one value at one path.
final class JSONDecoderImpl: Decoder {
    let value: JSONValue
    let path: JSONCodingPath?
    let session: JSONDecodingSession
    /// Whether the type opened any container (or read the raw value); one that did not has
    /// not asked about any member.
    var accessed = false

    init(value: JSONValue, path: JSONCodingPath?, session: JSONDecodingSession) {
        self.value = value
        self.path = path
        self.session = session
    }

    var codingPath: [any CodingKey] { JSONCodingPath.codingPath(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        accessed = true
        guard case .object(let object) = value else {
            throw session.mismatch(value, [String: JSONValue].self, "must be an object", at: path)
        }
        return KeyedDecodingContainer(
            JSONKeyedDecoding<Key>(decoder: self, usage: session.usage(for: object, at: path)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        accessed = true
        guard case .array(let elements) = value else {
            throw session.mismatch(value, [JSONValue].self, "must be an array", at: path)
        }
        return JSONUnkeyedDecoding(elements: elements, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        accessed = true
        return JSONSingleValueDecoding(decoder: self)
    }
}

struct JSONKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONDecoderImpl
    let usage: JSONObjectUsage

    var codingPath: [any CodingKey] { decoder.codingPath }

    /// Members as `Key`s, in camelCase when their snake_case name converts back exactly, so
    /// that decoding with those keys finds the same members again.
    var allKeys: [Key] {
        usage.object.keys.compactMap { name in
            let camel = JSONKeyCase.camelCase(name)
            if JSONKeyCase.snakeCase(camel) != name { usage.aliases[camel] = name }
            return Key(stringValue: camel)
        }
    }

    /// The JSON name of `key` and its member position (nil when absent), recorded as asked.
    private func locate(_ key: Key) -> (name: String, position: Int?) {
        let name =
            (usage.aliases.isEmpty ? nil : usage.aliases[key.stringValue]) ?? JSONKeyCase.snakeCase(key.stringValue)
        let position = usage.object.position(of: name)
        if let position { usage.markAsked(position) }
        return (name, position)
    }

    private func path(_ name: String, _ key: Key) -> JSONCodingPath {
        JSONCodingPath.appending(decoder.path, key: name, codingKey: key)
    }

    private func member(_ key: Key) throws -> (value: JSONValue, path: JSONCodingPath) {
        let (name, position) = locate(key)
        let memberPath = path(name, key)
        guard let position else { throw decoder.session.missing(key, at: memberPath) }
        return (usage.object.entries[position].value, memberPath)
    }

    func contains(_ key: Key) -> Bool {
        locate(key).position != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try member(key).value.isNull
    }

    private func decodeValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (name, position) = locate(key)
        guard let position else { throw decoder.session.missing(key, at: path(name, key)) }
        let value = usage.object.entries[position].value
        if let scalar = decoder.session.fastScalar(value, as: T.self) { return scalar }
        return try decoder.session.unbox(value, as: T.self, at: path(name, key))
    }

    /// One lookup instead of the default's three (`contains`, `decodeNil`, `decode`), with the
    /// same result: nil for absent and for `null`.
    private func decodeValueIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (name, position) = locate(key)
        guard let position else { return nil }
        let value = usage.object.entries[position].value
        if value.isNull { return nil }
        if let scalar = decoder.session.fastScalar(value, as: T.self) { return scalar }
        return try decoder.session.unbox(value, as: T.self, at: path(name, key))
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? {
        try decodeValueIfPresent(type, forKey: key)
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decodeValueIfPresent(type, forKey: key)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeValue(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeValue(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeValue(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeValue(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeValue(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeValue(type, forKey: key) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeValue(type, forKey: key) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try decodeValue(type, forKey: key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeValue(type, forKey: key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (value, memberPath) = try member(key)
        return try JSONDecoderImpl(value: value, path: memberPath, session: decoder.session).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (value, memberPath) = try member(key)
        return try JSONDecoderImpl(value: value, path: memberPath, session: decoder.session).unkeyedContainer()
    }

    /// The member `super` (absent reads as null), for class hierarchies.
    func superDecoder() throws -> any Decoder {
        let superKey = JSONVerbatimKey("super")
        let position = usage.object.position(of: superKey.stringValue)
        if let position { usage.markAsked(position) }
        let superPath = JSONCodingPath.appending(decoder.path, key: superKey.stringValue, codingKey: superKey)
        return JSONDecoderImpl(
            value: position.map { usage.object.entries[$0].value } ?? .null, path: superPath, session: decoder.session)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (name, position) = locate(key)
        return JSONDecoderImpl(
            value: position.map { usage.object.entries[$0].value } ?? .null, path: path(name, key),
            session: decoder.session)
    }
}

struct JSONUnkeyedDecoding: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let decoder: JSONDecoderImpl
    private(set) var currentIndex = 0

    init(elements: [JSONValue], decoder: JSONDecoderImpl) {
        self.elements = elements
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The current element and its path; a read past the end is a missing element.
    private func current() throws -> (value: JSONValue, path: JSONCodingPath) {
        let elementPath = JSONCodingPath.appending(decoder.path, index: currentIndex)
        guard !isAtEnd else { throw decoder.session.missing(JSONIndexKey(currentIndex), at: elementPath) }
        return (elements[currentIndex], elementPath)
    }

    mutating func decodeNil() throws -> Bool {
        guard try current().value.isNull else { return false }
        currentIndex += 1
        return true
    }

    private mutating func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if currentIndex < elements.count, let scalar = decoder.session.fastScalar(elements[currentIndex], as: T.self) {
            currentIndex += 1
            return scalar
        }
        let (value, elementPath) = try current()
        let result = try decoder.session.unbox(value, as: T.self, at: elementPath)
        currentIndex += 1
        return result
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    mutating func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try decodeValue(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try decodeValue(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<
        NestedKey
    > {
        let (value, elementPath) = try current()
        let container = try JSONDecoderImpl(value: value, path: elementPath, session: decoder.session).container(
            keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, elementPath) = try current()
        let container = try JSONDecoderImpl(value: value, path: elementPath, session: decoder.session)
            .unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, elementPath) = try current()
        currentIndex += 1
        return JSONDecoderImpl(value: value, path: elementPath, session: decoder.session)
    }
}

struct JSONSingleValueDecoding: SingleValueDecodingContainer {
    let decoder: JSONDecoderImpl

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.value.isNull }

    private func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.session.unbox(decoder.value, as: T.self, at: decoder.path)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    func decode(_ type: Int128.Type) throws -> Int128 { try decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try decodeValue(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}
