import FoundationEssentials

/// Turns a parsed request body into a model type, with the API's rules: snake_case keys,
/// exact numbers, strict types, and every unknown member reported.
///
/// - Keys: a property `creditLimit` reads the JSON member `credit_limit` (names with `_` or
///   without capitals are used as is); `[String: V]` dictionaries use their keys verbatim.
/// - Types: `String` only from strings, `Bool` only from `true`/`false`, integers only from
///   integer text in range (`1.0`, `1e3` are rejected), `ExactDecimal` from number text with
///   at most 3 decimals, `Date` from RFC 3339, `UUID`, `LocalDate` (`YYYY-MM-DD`) and `URL`
///   from strings, `JSONValue` as is. Nothing is coerced from another JSON kind.
/// - Enums: a `String` raw-value enum that fails reads "must be one of: a, b" when it is
///   `CaseIterable`, otherwise "has an unsupported value".
/// - Errors a model's own `init(from:)` throws become field errors: `dataCorrupted` keeps its
///   description as the message, at the path it names.
/// - Unknown members (never asked about through `decode`, `decodeIfPresent`, `contains`,
///   `decodeNil` or a nested container) are all reported, with full paths, but only when
///   decoding otherwise succeeded: a client fixes type errors first.
public struct JSONValueDecoder: Sendable {
    /// Set to false to ignore unknown members, e.g. when reading back JSON this server stored
    /// under an older schema. Request bodies keep the default.
    public var reportsUnknownFields: Bool

    /// A decoder that reports unknown fields.
    public init() {
        reportsUnknownFields = true
    }

    /// Decodes `type` from `value`. Fails with the first decoding error, or with every unknown
    /// member when the value otherwise fits.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(JSONDecodingFailure) -> T {
        let session = JSONDecodingSession(reportsUnknownFields: reportsUnknownFields)
        let result: T
        do {
            result = try session.unbox(value, as: T.self, at: nil)
        } catch {
            throw JSONDecodingFailure(errors: [session.fieldError(from: error, decoding: T.self, at: nil)])
        }
        let unknown = session.unknownFields()
        if !unknown.isEmpty { throw JSONDecodingFailure(errors: unknown) }
        return result
    }
}

/// Marks a field error the decoder produced itself, so enclosing levels pass it on unchanged.
struct JSONFieldProblem: Error {
    let fieldError: FieldError
}

/// The members one object at one path was asked about, across every container opened on it.
final class JSONObjectUsage {
    let object: JSONObject
    let path: JSONCodingPath?
    /// Asked members by position: bits for the first 64, flags beyond. Much cheaper than
    /// hashing every key asked for, and no allocation for typical objects.
    private var askedBits: UInt64 = 0
    private var askedBeyond64: [Bool] = []
    /// camelCase spellings `allKeys` handed out → the JSON keys they stand for.
    var aliases: [String: String] = [:]

    init(object: JSONObject, path: JSONCodingPath?) {
        self.object = object
        self.path = path
    }

    func markAsked(_ position: Int) {
        if position < 64 {
            askedBits |= 1 << UInt64(position)
        } else {
            if askedBeyond64.isEmpty { askedBeyond64 = Array(repeating: false, count: object.count - 64) }
            askedBeyond64[position - 64] = true
        }
    }

    func wasAsked(_ position: Int) -> Bool {
        if position < 64 { return askedBits & (1 << UInt64(position)) != 0 }
        return !askedBeyond64.isEmpty && askedBeyond64[position - 64]
    }
}

/// State of one `decode` call: unknown-field bookkeeping and the value conversions.
final class JSONDecodingSession {
    let reportsUnknownFields: Bool
    private var usages: [JSONObjectUsage] = []
    /// Usages by the identity of their object's storage. Hand-built JSON may reuse one object
    /// in two places; the second location's usage then lives in `sharedStorageUsages`.
    private var usagesByStorage: [UnsafeRawPointer: JSONObjectUsage] = [:]
    private var sharedStorageUsages: [JSONObjectUsage] = []

    init(reportsUnknownFields: Bool) {
        self.reportsUnknownFields = reportsUnknownFields
    }

    /// The shared usage record of the object at `path`: a model that opens two containers on
    /// one object (or tries two types for one member) has asked what either asked.
    func usage(for object: JSONObject, at path: JSONCodingPath?) -> JSONObjectUsage {
        // Empty objects have nothing to report and no unique storage identity.
        guard reportsUnknownFields, let identity = object.storageIdentity else {
            return JSONObjectUsage(object: object, path: path)
        }
        let usage: JSONObjectUsage
        if let first = usagesByStorage[identity] {
            if JSONCodingPath.same(first.path, path) { return first }
            if let other = sharedStorageUsages.first(where: { JSONCodingPath.same($0.path, path) }) { return other }
            usage = JSONObjectUsage(object: object, path: path)
            sharedStorageUsages.append(usage)
        } else {
            usage = JSONObjectUsage(object: object, path: path)
            usagesByStorage[identity] = usage
        }
        usages.append(usage)
        return usage
    }

    func unknownFields() -> [FieldError] {
        var errors: [FieldError] = []
        for usage in usages {
            for (position, member) in usage.object.entries.enumerated() where !usage.wasAsked(position) {
                let path = JSONCodingPath.appending(usage.path, key: member.key, codingKey: JSONVerbatimKey(member.key))
                errors.append(FieldError(field: JSONCodingPath.field(path), message: FieldError.unknownFieldMessage))
            }
        }
        return errors
    }

    // MARK: Conversions

    /// `value` as `T`. Scalars and the API's special types are converted here, directly;
    /// everything else runs its own `init(from:)` on a decoder positioned at `path`.
    func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, at path: JSONCodingPath?) throws -> T {
        if T.self == String.self { return same(try string(value, at: path), as: T.self) }
        if T.self == Int.self { return same(try integer(value, as: Int.self, at: path), as: T.self) }
        if T.self == Int64.self { return same(try integer(value, as: Int64.self, at: path), as: T.self) }
        if T.self == Bool.self { return same(try bool(value, at: path), as: T.self) }
        if T.self == ExactDecimal.self { return same(try exactDecimal(value, at: path), as: T.self) }
        if T.self == JSONValue.self { return same(value, as: T.self) }
        if T.self == UUID.self { return same(try uuid(value, at: path), as: T.self) }
        if T.self == Date.self { return same(try date(value, at: path), as: T.self) }
        if T.self == LocalDate.self { return same(try localDate(value, at: path), as: T.self) }
        if T.self == Double.self { return same(try double(value, at: path), as: T.self) }
        if T.self == Float.self { return same(try float(value, at: path), as: T.self) }
        if T.self == URL.self { return same(try url(value, at: path), as: T.self) }
        if T.self == Decimal.self { return same(try decimal(value, at: path), as: T.self) }
        if let integerType = T.self as? any FixedWidthInteger.Type {
            return try integer(value, as: integerType, at: path) as! T
        }
        if let dictionaryType = T.self as? any JSONStringKeyedDecodable.Type {
            guard case .object(let object) = value else { throw mismatch(value, T.self, "must be an object", at: path) }
            return try dictionaryType.decodeMembers(of: object, session: self, at: path) as! T
        }
        let decoder = JSONDecoderImpl(value: value, path: path, session: self)
        let result: T
        do {
            result = try T(from: decoder)
        } catch {
            throw normalized(error, decoding: T.self, at: path)
        }
        // A type that never looked at its object knows none of its members.
        if reportsUnknownFields, !decoder.accessed, case .object(let object) = value {
            _ = usage(for: object, at: path)
        }
        return result
    }

    /// `value` as `T` when `T` is a scalar type and the conversion succeeds; nil otherwise.
    /// Containers try this before building a path for the member, which only errors and
    /// nested decoders need: most members of most bodies are scalars.
    func fastScalar<T>(_ value: JSONValue, as type: T.Type) -> T? {
        switch value {
        case .string(let text):
            if T.self == String.self { return same(text, as: T.self) }
            if T.self == UUID.self, let uuid = UUIDText.parse(text) { return same(uuid, as: T.self) }
            if T.self == Date.self, let date = RFC3339.parse(text) { return same(date, as: T.self) }
            if T.self == LocalDate.self, let date = LocalDate(text) { return same(date, as: T.self) }
        case .number(let text):
            if T.self == Int.self, JSONNumberText.isPlainInteger(text), let integer = Int(text) {
                return same(integer, as: T.self)
            }
            if T.self == Int64.self, JSONNumberText.isPlainInteger(text), let integer = Int64(text) {
                return same(integer, as: T.self)
            }
            if T.self == ExactDecimal.self, let decimal = try? ExactDecimal(parsing: text) {
                return same(decimal, as: T.self)
            }
        case .bool(let flag):
            if T.self == Bool.self { return same(flag, as: T.self) }
        default:
            break
        }
        if T.self == JSONValue.self { return same(value, as: T.self) }
        return nil
    }

    /// `value` as `T` after the caller has checked that `T` is `V`: a reinterpretation, not a
    /// dynamic cast, because this runs for every scalar in unspecialized generic code.
    @inline(__always)
    private func same<V, T>(_ value: V, as type: T.Type) -> T {
        unsafeBitCast(value, to: T.self)
    }

    func string(_ value: JSONValue, at path: JSONCodingPath?) throws -> String {
        guard case .string(let string) = value else { throw mismatch(value, String.self, "must be a string", at: path) }
        return string
    }

    func bool(_ value: JSONValue, at path: JSONCodingPath?) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(value, Bool.self, "must be true or false", at: path) }
        return flag
    }

    func integer<I: FixedWidthInteger>(_ value: JSONValue, as type: I.Type, at path: JSONCodingPath?) throws -> I {
        guard case .number(let text) = value, JSONNumberText.isPlainInteger(text) else {
            throw mismatch(value, I.self, "must be an integer", at: path)
        }
        guard let integer = I(text) else {
            throw corrupted("must be an integer between \(I.min) and \(I.max)", at: path)
        }
        return integer
    }

    func double(_ value: JSONValue, at path: JSONCodingPath?) throws -> Double {
        guard case .number(let text) = value else { throw mismatch(value, Double.self, "must be a number", at: path) }
        guard let number = Double(text), number.isFinite else {
            throw corrupted("must be a number within range", at: path)
        }
        return number
    }

    func float(_ value: JSONValue, at path: JSONCodingPath?) throws -> Float {
        guard case .number(let text) = value else { throw mismatch(value, Float.self, "must be a number", at: path) }
        guard let number = Float(text), number.isFinite else {
            throw corrupted("must be a number within range", at: path)
        }
        return number
    }

    func exactDecimal(_ value: JSONValue, at path: JSONCodingPath?) throws -> ExactDecimal {
        guard case .number(let text) = value else {
            throw mismatch(value, ExactDecimal.self, "must be a number", at: path)
        }
        do {
            return try ExactDecimal(parsing: text)
        } catch {
            throw corrupted(error.message, at: path)
        }
    }

    func uuid(_ value: JSONValue, at path: JSONCodingPath?) throws -> UUID {
        guard case .string(let text) = value else { throw mismatch(value, UUID.self, "must be a UUID", at: path) }
        guard let uuid = UUIDText.parse(text) else { throw corrupted("must be a UUID", at: path) }
        return uuid
    }

    func date(_ value: JSONValue, at path: JSONCodingPath?) throws -> Date {
        guard case .string(let text) = value else { throw mismatch(value, Date.self, RFC3339.formatMessage, at: path) }
        guard let date = RFC3339.parse(text) else { throw corrupted(RFC3339.formatMessage, at: path) }
        return date
    }

    func localDate(_ value: JSONValue, at path: JSONCodingPath?) throws -> LocalDate {
        guard case .string(let text) = value else {
            throw mismatch(value, LocalDate.self, LocalDate.formatMessage, at: path)
        }
        guard let date = LocalDate(text) else { throw corrupted(LocalDate.formatMessage, at: path) }
        return date
    }

    func url(_ value: JSONValue, at path: JSONCodingPath?) throws -> URL {
        guard case .string(let text) = value else { throw mismatch(value, URL.self, "must be a URL", at: path) }
        guard !text.isEmpty, let url = URL(string: text) else { throw corrupted("must be a URL", at: path) }
        return url
    }

    func decimal(_ value: JSONValue, at path: JSONCodingPath?) throws -> Decimal {
        guard case .number(let text) = value else { throw mismatch(value, Decimal.self, "must be a number", at: path) }
        guard let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !decimal.isNaN else {
            throw corrupted("must be a number within range", at: path)
        }
        return decimal
    }

    // MARK: Errors

    func context(_ message: String, at path: JSONCodingPath?) -> DecodingError.Context {
        DecodingError.Context(
            codingPath: JSONCodingPath.codingPath(path), debugDescription: message,
            underlyingError: JSONFieldProblem(
                fieldError: FieldError(field: JSONCodingPath.field(path), message: message)))
    }

    /// `null` where a value is required reads "must not be null"; any other kind, `message`.
    func mismatch(_ value: JSONValue, _ type: Any.Type, _ message: String, at path: JSONCodingPath?) -> DecodingError {
        if value.isNull { return .valueNotFound(type, context("must not be null", at: path)) }
        return .typeMismatch(type, context(message, at: path))
    }

    func corrupted(_ message: String, at path: JSONCodingPath?) -> DecodingError {
        .dataCorrupted(context(message, at: path))
    }

    /// A member the type requires is absent. `path` is the member's own path.
    func missing(_ key: any CodingKey, at path: JSONCodingPath?) -> DecodingError {
        .keyNotFound(key, context("is required", at: path))
    }

    /// Errors leave each nested `init(from:)` as a marked `DecodingError` of the same kind, so
    /// outer levels neither re-interpret them nor lose a model's own `keyNotFound` etc.
    func normalized(_ error: any Error, decoding type: Any.Type, at path: JSONCodingPath?) -> any Error {
        let fieldError = fieldError(from: error, decoding: type, at: path)
        let problem = JSONFieldProblem(fieldError: fieldError)
        guard let decodingError = error as? DecodingError else {
            return DecodingError.dataCorrupted(
                .init(
                    codingPath: JSONCodingPath.codingPath(path),
                    debugDescription: fieldError.message, underlyingError: problem))
        }
        func marked(_ context: DecodingError.Context) -> DecodingError.Context {
            .init(codingPath: context.codingPath, debugDescription: fieldError.message, underlyingError: problem)
        }
        switch decodingError {
        case .keyNotFound(let key, let context): return DecodingError.keyNotFound(key, marked(context))
        case .valueNotFound(let type, let context): return DecodingError.valueNotFound(type, marked(context))
        case .typeMismatch(let type, let context): return DecodingError.typeMismatch(type, marked(context))
        case .dataCorrupted(let context): return DecodingError.dataCorrupted(marked(context))
        @unknown default: return error
        }
    }

    /// The client-facing form of any error thrown while decoding `type` at `path`.
    func fieldError(from error: any Error, decoding type: Any.Type, at path: JSONCodingPath?) -> FieldError {
        guard let decodingError = error as? DecodingError else {
            return FieldError(field: JSONCodingPath.field(path), message: "is invalid")
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            if let problem = context.underlyingError as? JSONFieldProblem { return problem.fieldError }
            return FieldError(
                field: JSONCodingPath.field(codingPath: context.codingPath + [key]), message: "is required")
        case .valueNotFound(_, let context):
            if let problem = context.underlyingError as? JSONFieldProblem { return problem.fieldError }
            return FieldError(field: JSONCodingPath.field(codingPath: context.codingPath), message: "must not be null")
        case .typeMismatch(_, let context):
            if let problem = context.underlyingError as? JSONFieldProblem {
                // An enum given the wrong kind (`"kind": 3`) is told its values, not its raw type.
                if type is any CaseIterable.Type, type is any RawRepresentable.Type,
                    problem.fieldError.field == JSONCodingPath.field(path)
                {
                    return FieldError(field: problem.fieldError.field, message: Self.unsupportedValueMessage(for: type))
                }
                return problem.fieldError
            }
            return FieldError(
                field: JSONCodingPath.field(codingPath: context.codingPath), message: "has the wrong type")
        case .dataCorrupted(let context):
            if let problem = context.underlyingError as? JSONFieldProblem { return problem.fieldError }
            var message = context.debugDescription
            // The standard library's failure for `RawRepresentable` enums names Swift types and
            // echoes the input; clients get the allowed values instead.
            if message.hasPrefix("Cannot initialize ") { message = Self.unsupportedValueMessage(for: type) }
            if message.isEmpty { message = "is invalid" }
            return FieldError(field: JSONCodingPath.field(codingPath: context.codingPath), message: message)
        @unknown default:
            return FieldError(field: JSONCodingPath.field(path), message: "is invalid")
        }
    }

    static func unsupportedValueMessage(for type: Any.Type) -> String {
        if let caseIterable = type as? any CaseIterable.Type {
            let names = caseNames(caseIterable)
            if !names.isEmpty { return "must be one of: " + names.joined(separator: ", ") }
        }
        return "has an unsupported value"
    }

    private static func caseNames<C: CaseIterable>(_ type: C.Type) -> [String] {
        type.allCases.map { value in
            if let raw = value as? any RawRepresentable { return "\(raw.rawValue)" }
            return "\(value)"
        }
    }
}

/// `[String: V]` decodes member by member with keys verbatim (they are data, not property
/// names) and every member counted as known.
protocol JSONStringKeyedDecodable {
    static func decodeMembers(of object: JSONObject, session: JSONDecodingSession, at path: JSONCodingPath?) throws
        -> Self
}

extension Dictionary: JSONStringKeyedDecodable where Key == String, Value: Decodable {
    static func decodeMembers(of object: JSONObject, session: JSONDecodingSession, at path: JSONCodingPath?) throws
        -> Self
    {
        var result = Self(minimumCapacity: object.count)
        for member in object {
            let memberPath = JSONCodingPath.appending(path, key: member.key, codingKey: JSONVerbatimKey(member.key))
            result[member.key] = try session.unbox(member.value, as: Value.self, at: memberPath)
        }
        return result
    }
}
