import FoundationEssentials

/// Values with the API's rules, the same as `JSONEncoderImpl.scalar` and `encodeValue` decide
/// them for the tree path: fixed JSON forms for the special types, sorted verbatim keys for
/// `[String: V]`, and the type's own `encode(to:)` for everything else.
extension JSONStreamEncoder {
    /// `value` in the member or element just started. `pathKey` is what its position adds to
    /// `codingPath`, only built when the value has an `encode(to:)` that may ask.
    func write<T: Encodable>(_ value: T, pathKey: @autoclosure () -> (any CodingKey)?) throws {
        if try writeScalar(value) { return }
        switch JSONTypeForm.of(T.self) {
        case .integer:
            withBytes { JSONWriter.writeNumber(String(describing: value), into: &$0) }
            return
        case .stringKeyedDictionary:
            if let dictionary = value as? any JSONStringKeyedEncodable {
                try writeDictionary(dictionary, pathKey: pathKey())
                return
            }
        case .encodable:
            break
        }
        let id = push(.unstarted, closable: false, pathKey: pathKey())
        let outer = currentValue
        currentValue = id.depth
        defer { currentValue = outer }
        do {
            try value.encode(to: self)
        } catch {
            // The tree drops a member whose value threw; a model that catches the error and
            // carries on would get different output here, so let the tree decide.
            abandon()
            throw error
        }
        try finish(id)
    }

    func writeDate(_ date: Date) throws {
        try withBytes { bytes in
            bytes.append(UInt8(ascii: "\""))
            // Out of years 0001–9999: the tree path throws the `EncodingError`.
            guard RFC3339.write(date, into: &bytes) else { throw abandoning() }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    func writeNull() {
        withBytes { $0.append(contentsOf: "null".utf8) }
    }

    func writeBool(_ flag: Bool) {
        withBytes { $0.append(contentsOf: (flag ? "true" : "false").utf8) }
    }

    func writeString(_ string: String) {
        withBytes { JSONWriter.writeString(string, into: &$0) }
    }

    func writeInteger<Integer: FixedWidthInteger>(_ integer: Integer) {
        withBytes { JSONWriter.writeInteger(integer, into: &$0) }
    }

    /// Writes `value` when its type is one of the special types; false for every other type.
    /// Checks metatypes, most common first, as `JSONEncoderImpl.scalar` does; after a check `T`
    /// is known to be the type, so the value is reinterpreted rather than cast. Other integer
    /// types are found by `JSONTypeForm`.
    private func writeScalar<T: Encodable>(_ value: T) throws -> Bool {
        if T.self == String.self {
            writeString(unsafeBitCast(value, to: String.self))
        } else if T.self == UUID.self {
            withBytes { UUIDText.writeJSONString(unsafeBitCast(value, to: UUID.self), into: &$0) }
        } else if T.self == ExactDecimal.self {
            withBytes { unsafeBitCast(value, to: ExactDecimal.self).write(into: &$0) }
        } else if T.self == Int.self {
            writeInteger(unsafeBitCast(value, to: Int.self))
        } else if T.self == Int64.self {
            writeInteger(unsafeBitCast(value, to: Int64.self))
        } else if T.self == Bool.self {
            writeBool(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Date.self {
            try writeDate(unsafeBitCast(value, to: Date.self))
        } else if T.self == LocalDate.self {
            withBytes { bytes in
                bytes.append(UInt8(ascii: "\""))
                unsafeBitCast(value, to: LocalDate.self).write(into: &bytes)
                bytes.append(UInt8(ascii: "\""))
            }
        } else if T.self == JSONValue.self {
            withBytes { JSONWriter.write(unsafeBitCast(value, to: JSONValue.self), into: &$0) }
        } else if T.self == Double.self {
            try writeFloatingPoint(unsafeBitCast(value, to: Double.self))
        } else if T.self == Float.self {
            try writeFloatingPoint(unsafeBitCast(value, to: Float.self))
        } else if T.self == URL.self {
            writeString(unsafeBitCast(value, to: URL.self).absoluteString)
        } else if T.self == Decimal.self {
            let decimal = unsafeBitCast(value, to: Decimal.self)
            guard !decimal.isNaN else { throw abandoning() }
            withBytes { JSONWriter.writeNumber(decimal.description, into: &$0) }
        } else if T.self == Int32.self {
            writeInteger(unsafeBitCast(value, to: Int32.self))
        } else if T.self == UInt64.self {
            writeInteger(unsafeBitCast(value, to: UInt64.self))
        } else if T.self == EncodedJSON.self {
            withBytes { $0.append(contentsOf: unsafeBitCast(value, to: EncodedJSON.self).bytes) }
        } else {
            return false
        }
        return true
    }

    /// Swift's description is the shortest text that round-trips, as in the tree path;
    /// non-finite values are left to the tree path to throw.
    private func writeFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(_ number: F) throws {
        guard number.isFinite else { throw abandoning() }
        withBytes { JSONWriter.writeNumber(number.description, into: &$0) }
    }

    private func abandoning() -> Abandoned {
        abandon()
        return Abandoned()
    }

    /// Keys verbatim and sorted. Written by the stream itself, so the object is `complete` from
    /// the start; it is an open value only so that members' `codingPath` includes it.
    private func writeDictionary(_ dictionary: any JSONStringKeyedEncodable, pathKey: (any CodingKey)?) throws {
        _ = push(.complete, closable: false, pathKey: pathKey)
        withBytes { $0.append(UInt8(ascii: "{")) }
        for (position, (key, member)) in dictionary.sortedMembers().enumerated() {
            withBytes { bytes in
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
            }
            try write(member, pathKey: JSONVerbatimKey(key))
        }
        withBytes { $0.append(UInt8(ascii: "}")) }
        finishInnermost()
    }

    /// For `ExactDecimal` and `JSONValue`, whose `encode(to:)` writes them whole when the
    /// encoder is a stream (as it gives the tree path their JSON directly). False when it is
    /// not one.
    static func writeWhole(_ value: JSONValue, to encoder: any Encoder) throws -> Bool {
        let stream: JSONStreamEncoder
        let id: OpenValueID
        if let shared = encoder as? JSONStreamEncoder {
            stream = shared
            id = shared.id(ofDepth: shared.currentValue)
        } else if let superEncoder = encoder as? JSONStreamSuperEncoder {
            stream = superEncoder.stream
            id = superEncoder.value
        } else {
            return false
        }
        guard stream.startSingleValue(of: id) else { throw Abandoned() }
        stream.withBytes { JSONWriter.write(value, into: &$0) }
        return true
    }
}
