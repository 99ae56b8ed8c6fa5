/// How the stream encoder writes a type that is none of the special types it checks by
/// metatype. Finding out takes two protocol-conformance lookups, about 115 ns together, as much
/// as writing a small struct's members, so the answer is kept per type.
enum JSONTypeForm: Sendable {
    /// A `FixedWidthInteger` besides the standard ones: its description, as a number.
    case integer
    /// `[String: V]`: an object with the keys verbatim and sorted.
    case stringKeyedDictionary
    /// Whatever its own `encode(to:)` writes.
    case encodable

    static func of<T: Encodable>(_ type: T.Type) -> JSONTypeForm {
        let known = Known.tables.value
        let id = ObjectIdentifier(type)
        if let form = known.forms[id] { return form }
        // The same questions `JSONEncoderImpl` asks of each value; for anything but a class the
        // static type is the dynamic type, and no class is a FixedWidthInteger or a Dictionary.
        let form: JSONTypeForm =
            if type is any FixedWidthInteger.Type {
                .integer
            } else if type is any JSONStringKeyedEncodable.Type {
                .stringKeyedDictionary
            } else {
                .encodable
            }
        known.forms[id] = form
        return form
    }

    /// Every type this thread has asked about. One table per thread, not one behind a lock:
    /// every encoded value looks here, and worker threads encoding at once made a shared lock
    /// contended, a futex call per value. The Encodable types of a process are a fixed set, so
    /// each table stays small.
    private final class Known {
        var forms: [ObjectIdentifier: JSONTypeForm] = [:]

        static let tables = PerThread { Known() }
    }
}
