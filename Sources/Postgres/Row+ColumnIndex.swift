import CLibPQ
import Glibc

extension Row {
    /// Column names and their positions. Shared by every row of a result and, for a prepared
    /// statement, by every result it returns: its shape is fixed once prepared, so the index is
    /// built once per statement instead of once per query.
    @usableFromInline
    final class ColumnIndex: Sendable {
        let names: [String]
        /// UTF-8 lengths of `names`.
        private let lengths: [Int]
        /// `names` one after another, each NUL-terminated, for `strcmp` against libpq's names.
        private let terminatedNames: [CChar]
        /// Where each name starts in `terminatedNames`.
        private let offsets: [Int]
        /// Open addressing by `slotHash`: the position of a name, or -1. Hashing a name with
        /// `Hasher` (a `Dictionary`) cost more than the rest of reading its cell, and comparing
        /// it with each name in turn grew with the width of the result.
        private let slots: [Int32]
        private let slotMask: Int
        /// The same positions by a name's raw representation, the two words of the `String`
        /// itself. A short name (up to 15 bytes) is stored inline, so its words are its
        /// contents and the name a row reader passes matches the one read from libpq without
        /// hashing or comparing text: a quarter of the lookups' cost. Words that match mean the
        /// same string; any other name falls back to `slots`.
        private let representations: [(words: (UInt64, UInt64), position: Int32)]

        init(names: [String]) {
            self.names = names
            lengths = names.map(\.utf8.count)
            terminatedNames = names.flatMap(\.utf8CString)
            var offsets: [Int] = []
            var offset = 0
            for name in names {
                offsets.append(offset)
                offset += name.utf8.count + 1
            }
            self.offsets = offsets
            var size = 8
            while size < names.count * 2 { size *= 2 }
            var slots = [Int32](repeating: -1, count: size)
            for (index, name) in names.enumerated() {
                var slot = Self.slotHash(name) & (size - 1)
                var repeated = false
                while slots[slot] >= 0 {
                    if names[Int(slots[slot])] == name { repeated = true; break }
                    slot = (slot + 1) & (size - 1)
                }
                // A join may repeat a name; the first one wins.
                if !repeated { slots[slot] = Int32(index) }
            }
            self.slots = slots
            slotMask = size - 1
            var representations = [(words: (UInt64, UInt64), position: Int32)](
                repeating: ((0, 0), -1), count: size)
            for (index, name) in names.enumerated() {
                let words = Self.words(of: name)
                var slot = Self.representationSlot(words) & (size - 1)
                var repeated = false
                while representations[slot].position >= 0 {
                    if representations[slot].words == words { repeated = true; break }
                    slot = (slot + 1) & (size - 1)
                }
                if !repeated { representations[slot] = (words, Int32(index)) }
            }
            self.representations = representations
        }

        @inline(__always)
        private static func words(of name: String) -> (UInt64, UInt64) {
            unsafeBitCast(name, to: (UInt64, UInt64).self)
        }

        @inline(__always)
        private static func representationSlot(_ words: (UInt64, UInt64)) -> Int {
            let mixed = (words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: mixed >> 32)
        }

        /// From the length and three bytes of the name: cheap, and column names of one result
        /// rarely agree on all four.
        @inline(__always)
        private static func slotHash(_ name: String) -> Int {
            var name = name
            // `withUTF8` reads a short name in place; the UTF-8 view's indices cost more.
            return name.withUTF8 { slotHash($0) }
        }

        @inline(__always)
        private static func slotHash(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
            let count = utf8.count
            guard count > 0 else { return 0 }
            let mixed =
                (count &* 0x1F3D_5B79) ^ (Int(utf8[0]) &* 0x9E37) ^ (Int(utf8[count &- 1]) &* 0x85EB_CA6B)
                ^ (Int(utf8[count / 2]) &* 0xC2B2_AE35)
            return (mixed ^ (mixed >> 15)) & Int.max
        }

        /// The first column called `name` (a join may repeat a name; the first one wins).
        @usableFromInline
        func position(of name: String) -> Int? {
            let words = Self.words(of: name)
            var known = Self.representationSlot(words) & slotMask
            while true {
                let entry = representations[known]
                if entry.position < 0 { break }
                if entry.words == words { return Int(entry.position) }
                known = (known + 1) & slotMask
            }
            // By content, compared as bytes: `==` on two long strings cost more than this.
            var name = name
            return name.withUTF8 { utf8 in
                var slot = Self.slotHash(utf8) & slotMask
                return terminatedNames.withUnsafeBufferPointer { all in
                    while true {
                        let index = Int(slots[slot])
                        if index < 0 { return nil }
                        if lengths[index] == utf8.count,
                            utf8.count == 0
                                || memcmp(all.baseAddress! + offsets[index], utf8.baseAddress!, utf8.count) == 0
                        {
                            return index
                        }
                        slot = (slot + 1) & slotMask
                    }
                }
            }
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
