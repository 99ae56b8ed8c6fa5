import FoundationEssentials

/// Turns a response model into JSON with the API's rules: snake_case keys in the order the
/// type encodes them, every documented field present (`nil` is written as `null`, never
/// omitted), exact numbers.
///
/// - `ExactDecimal` and `Decimal` are JSON numbers with their exact text; integers are integer
///   text; `Double`/`Float` use Swift's shortest round-trip text and non-finite values throw.
/// - `Date` is RFC 3339 UTC with milliseconds (`2026-11-22T09:30:00.000Z`), `UUID` a lower-case
///   string, `LocalDate` `YYYY-MM-DD`, `URL` its absolute string, `JSONValue` itself.
/// - `[String: V]` is an object whose keys are written verbatim (they are data, not property
///   names), sorted so output is deterministic.
public struct JSONValueEncoder: Sendable {
    /// An encoder with the API's rules (there are no options).
    public init() {}

    /// `value` as a JSON value. Throws `EncodingError.invalidValue` for values JSON cannot
    /// carry (non-finite numbers, dates outside years 0001–9999) and rethrows the model's own
    /// errors.
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONEncoderImpl.encodeValue(value, at: nil).build()
    }

    /// `value` serialized as compact UTF-8 JSON, ready for a response body: the same bytes as
    /// `JSONWriter.serialize(try encode(value))`, and the same errors.
    ///
    /// Written in one pass without building the `JSONValue` (`JSONStreamEncoder`); a value
    /// whose `encode(to:)` writes out of order, or that throws, goes through `encode` instead.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let bytes = JSONStreamEncoder.bytes(of: value) { return bytes }
        return JSONWriter.serialize(try encode(value))
    }
}

/// A value under construction: types write into containers after asking for them, so nested
/// results are built in place and converted to `JSONValue` once at the end.
final class JSONEncodingBox {
    enum Content {
        case empty
        case value(JSONValue)
        case object(JSONObjectBuilder)
        case array(JSONArrayBuilder)
    }

    var content: Content = .empty

    /// A type that encoded nothing becomes `{}`, the shape of a struct without properties.
    func build() -> JSONValue {
        switch content {
        case .empty: .object(JSONObject())
        case .value(let value): value
        case .object(let builder): builder.build()
        case .array(let builder): builder.build()
        }
    }
}

/// A member or element: a finished scalar, or a box still being filled.
enum JSONEncodingSlot {
    case value(JSONValue)
    case box(JSONEncodingBox)

    func build() -> JSONValue {
        switch self {
        case .value(let value): value
        case .box(let box): box.build()
        }
    }
}

final class JSONObjectBuilder {
    var members: [(String, JSONEncodingSlot)] = []

    func build() -> JSONValue {
        // `JSONObject.init` keeps the first position and the last value of a repeated key.
        .object(JSONObject(members.map { ($0.0, $0.1.build()) }))
    }
}

final class JSONArrayBuilder {
    var elements: [JSONEncodingSlot] = []

    func build() -> JSONValue {
        .array(elements.map { $0.build() })
    }
}

/// The `Encoder` a model's `encode(to:)` sees for one value.
final class JSONEncoderImpl: Encoder {
    let box: JSONEncodingBox
    let path: JSONCodingPath?

    init(box: JSONEncodingBox, path: JSONCodingPath?) {
        self.box = box
        self.path = path
    }

    var codingPath: [any CodingKey] { JSONCodingPath.codingPath(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Asking twice (e.g. a subclass and its superclass) shares one object.
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let builder) = box.content {
            return KeyedEncodingContainer(JSONKeyedEncoding<Key>(builder: builder, path: path))
        }
        let builder = JSONObjectBuilder()
        box.content = .object(builder)
        return KeyedEncodingContainer(JSONKeyedEncoding<Key>(builder: builder, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let builder) = box.content { return JSONUnkeyedEncoding(builder: builder, path: path) }
        let builder = JSONArrayBuilder()
        box.content = .array(builder)
        return JSONUnkeyedEncoding(builder: builder, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueEncoding(box: box, path: path)
    }

    /// `value` at `path`: scalars and special types directly, anything else through its own
    /// `encode(to:)` into a new box.
    static func encodeValue<T: Encodable>(_ value: T, at path: JSONCodingPath?) throws -> JSONEncodingSlot {
        if let scalar = try scalar(value, at: path) { return .value(scalar) }
        if let dictionary = value as? any JSONStringKeyedEncodable {
            let builder = JSONObjectBuilder()
            for (key, member) in dictionary.sortedMembers() {
                let memberPath = JSONCodingPath.appending(path, key: key, codingKey: JSONVerbatimKey(key))
                builder.members.append((key, try encodeValue(member, at: memberPath)))
            }
            let box = JSONEncodingBox()
            box.content = .object(builder)
            return .box(box)
        }
        let box = JSONEncodingBox()
        try value.encode(to: JSONEncoderImpl(box: box, path: path))
        if case .value(let scalar) = box.content { return .value(scalar) }
        return .box(box)
    }

    /// The JSON for types with a fixed JSON form, nil for everything else. Metatype checks
    /// first: they are much cheaper than failed dynamic casts on every nested struct; after a
    /// check `T` is known to be the type, so the value is reinterpreted rather than cast.
    static func scalar<T: Encodable>(_ value: T, at path: JSONCodingPath?) throws -> JSONValue? {
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return .number(String(unsafeBitCast(value, to: Int.self))) }
        if T.self == Int64.self { return .number(String(unsafeBitCast(value, to: Int64.self))) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == ExactDecimal.self { return .number(unsafeBitCast(value, to: ExactDecimal.self).description) }
        if T.self == JSONValue.self { return unsafeBitCast(value, to: JSONValue.self) }
        if T.self == UUID.self { return .string(UUIDText.lowercase(unsafeBitCast(value, to: UUID.self))) }
        if T.self == Date.self {
            guard let text = RFC3339.format(unsafeBitCast(value, to: Date.self)) else {
                throw invalid(value, "dates must fall in years 0001 to 9999", at: path)
            }
            return .string(text)
        }
        if T.self == LocalDate.self { return .string(unsafeBitCast(value, to: LocalDate.self).description) }
        if T.self == Double.self { return try floatingPoint(unsafeBitCast(value, to: Double.self), at: path) }
        if T.self == Float.self { return try floatingPoint(unsafeBitCast(value, to: Float.self), at: path) }
        if T.self == URL.self { return .string(unsafeBitCast(value, to: URL.self).absoluteString) }
        if T.self == Decimal.self {
            let decimal = unsafeBitCast(value, to: Decimal.self)
            guard !decimal.isNaN else { throw invalid(decimal, "NaN cannot be written as JSON", at: path) }
            return .number(decimal.description)
        }
        if T.self is any FixedWidthInteger.Type { return .number(String(describing: value)) }
        return nil
    }

    static func floatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(_ number: F, at path: JSONCodingPath?)
        throws -> JSONValue
    {
        guard number.isFinite else { throw invalid(number, "non-finite numbers cannot be written as JSON", at: path) }
        // Swift's description is the shortest text that round-trips (`0.1`, `1e-07`, `3.0`),
        // and always valid JSON number syntax for finite values.
        return .number(number.description)
    }

    static func invalid(_ value: Any, _ message: String, at path: JSONCodingPath?) -> EncodingError {
        .invalidValue(
            value, EncodingError.Context(codingPath: JSONCodingPath.codingPath(path), debugDescription: message))
    }
}

/// `[String: V]` encodes with keys verbatim, sorted (dictionary order is random per process).
protocol JSONStringKeyedEncodable {
    func sortedMembers() -> [(String, any Encodable)]
}

extension Dictionary: JSONStringKeyedEncodable where Key == String, Value: Encodable {
    func sortedMembers() -> [(String, any Encodable)] {
        sorted { $0.key < $1.key }.map { ($0.key, $0.value as any Encodable) }
    }
}
