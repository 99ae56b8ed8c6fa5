import CLibPQ
import Glibc

extension Row {
    /// Column names and their positions. Shared by every row of a result and, for a prepared
    /// statement, by every result it returns: its shape is fixed once prepared, so the index is
    /// built once per statement instead of once per query.
    @usableFromInline
    final class ColumnIndex: Sendable {
        let names: [String]
        /// UTF-8 lengths of `names`: most names differ in length, and comparing lengths first
        /// skips them without a string comparison.
        private let lengths: [Int]
        /// `names` one after another, each NUL-terminated, for `strcmp` against libpq's names.
        private let terminatedNames: [CChar]
        /// Name → position, for wide results only: comparing a short name against a few others
        /// costs less than hashing it on every lookup.
        private let positions: [String: Int]?
        /// Widest result still searched by comparing names one by one.
        static let scanLimit = 24

        init(names: [String]) {
            self.names = names
            lengths = names.map(\.utf8.count)
            terminatedNames = names.flatMap(\.utf8CString)
            if names.count > Self.scanLimit {
                var positions: [String: Int] = [:]
                for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
                self.positions = positions
            } else {
                positions = nil
            }
        }

        /// The first column called `name` (a join may repeat a name; the first one wins).
        @usableFromInline
        func position(of name: String) -> Int? {
            if let positions { return positions[name] }
            let length = name.utf8.count
            for index in names.indices where lengths[index] == length && names[index] == name { return index }
            return nil
        }

        /// The columns of `result`: `cached` when it has the same names in the same order,
        /// otherwise a new index (the caller keeps it for the next result).
        static func of(_ result: OpaquePointer, reusing cached: ColumnIndex?) -> ColumnIndex {
            if let cached, cached.matches(result) { return cached }
            return ColumnIndex(names: (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) })
        }

        /// True when `result` has exactly these column names, in this order.
        func matches(_ result: OpaquePointer) -> Bool {
            guard Int(PQnfields(result)) == names.count else { return false }
            return terminatedNames.withUnsafeBufferPointer { all in
                var offset = 0
                for column in names.indices {
                    guard let name = PQfname(result, Int32(column)), strcmp(all.baseAddress! + offset, name) == 0 else {
                        return false
                    }
                    offset += lengths[column] + 1
                }
                return true
            }
        }
    }
}
