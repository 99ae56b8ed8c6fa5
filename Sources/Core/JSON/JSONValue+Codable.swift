import FoundationEssentials

/// Lets a model carry raw JSON (`metadata: JSONValue`). With `JSONValueEncoder` and
/// `JSONValueDecoder` the value passes through untouched: keys are not case-converted, numbers
/// keep their text, and the decoder treats the whole subtree as known. Other coders get a
/// best-effort mapping (numbers through `Int64` or `Decimal`, objects through keyed containers
/// whose order they may not keep).
extension JSONValue: Codable {
    /// Encodes the value itself.
    public func encode(to encoder: any Encoder) throws {
        if let encoder = encoder as? JSONEncoderImpl {
            encoder.box.content = .value(self)
            return
        }
        if try JSONStreamEncoder.writeWhole(self, to: encoder) { return }
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .number(let text):
            var container = encoder.singleValueContainer()
            if let integer = Int64(text) {
                try container.encode(integer)
            } else if let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) {
                try container.encode(decimal)
            } else {
                throw EncodingError.invalidValue(
                    text, .init(codingPath: encoder.codingPath, debugDescription: "invalid JSON number text"))
            }
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: JSONVerbatimKey.self)
            for member in object { try container.encode(member.value, forKey: JSONVerbatimKey(member.key)) }
        }
    }

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        if let decoder = decoder as? JSONDecoderImpl {
            decoder.accessed = true
            self = decoder.value
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !array.isAtEnd { elements.append(try array.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        if let keyed = try? decoder.container(keyedBy: JSONVerbatimKey.self) {
            // Other decoders have no member order; sorting at least makes it deterministic.
            let keys = keyed.allKeys.sorted { $0.stringValue < $1.stringValue }
            var object = JSONObject()
            for key in keys { object.set(key.stringValue, try keyed.decode(JSONValue.self, forKey: key)) }
            self = .object(object)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .number(String(integer))
        } else if let number = try? container.decode(Double.self), number.isFinite {
            self = .number(number.description)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
