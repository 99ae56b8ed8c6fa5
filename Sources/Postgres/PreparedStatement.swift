/// A statement prepared on one connection.
final class PreparedStatement {
    let name: String
    let types: [UInt32]
    /// The columns of its last result, reused while results keep that shape.
    var columns: Row.ColumnIndex?

    init(name: String, types: [UInt32]) {
        self.name = name
        self.types = types
    }

    /// True when it was prepared for parameters of exactly these types.
    func accepts(_ binds: [PostgresBind]) -> Bool {
        types.count == binds.count && zip(types, binds).allSatisfy { $0 == $1.type }
    }

    /// SQL text as the key of the statement cache, looked up on every query. Its hash is a cheap
    /// multiply-xor pass over 8-byte words instead of SipHash over every byte: the texts are
    /// written by the code (values travel as parameters), so hash flooding is not a concern,
    /// and equality still compares the whole text.
    struct Text: Hashable {
        let sql: String
        private let digest: UInt64

        init(_ sql: String) {
            self.sql = sql
            var copy = sql
            digest = copy.withUTF8 { utf8 in
                var digest = 0xCBF2_9CE4_8422_2325 ^ UInt64(utf8.count)
                guard let base = utf8.baseAddress else { return digest }
                let raw = UnsafeRawPointer(base)
                var offset = 0
                while offset + 8 <= utf8.count {
                    digest =
                        (digest ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x0000_0100_0000_01B3
                    digest ^= digest >> 29
                    offset += 8
                }
                while offset < utf8.count {
                    digest = (digest ^ UInt64(utf8[offset])) &* 0x0000_0100_0000_01B3
                    offset += 1
                }
                return digest
            }
        }

        static func == (lhs: Text, rhs: Text) -> Bool { lhs.digest == rhs.digest && lhs.sql == rhs.sql }

        func hash(into hasher: inout Hasher) { hasher.combine(digest) }
    }
}
