import CLibPQ
import Glibc

/// The values of one result, copied out of libpq's PGresult (cleared as soon as it is read) into
/// one buffer shared by all its rows: one allocation per result instead of a String per cell,
/// and decoders read the bytes as they came. Never changed after `init`, so rows may be sent
/// across threads.
@usableFromInline
final class ResultCells: @unchecked Sendable {
    @usableFromInline let columns: Row.ColumnIndex
    let rowCount: Int
    private let columnCount: Int
    /// Per cell, row by row: the offset of its text in `bytes` and its length, -1 for NULL.
    /// Also the start of the one allocation that holds `bytes` after it.
    private let spans: UnsafeMutablePointer<Int>
    private let bytes: UnsafeMutablePointer<UInt8>

    init(copying result: OpaquePointer, columns: Row.ColumnIndex) {
        self.columns = columns
        rowCount = Int(PQntuples(result))
        columnCount = columns.names.count
        let cellCount = rowCount * columnCount
        var byteCount = 0
        for r in 0..<Int32(rowCount) {
            for c in 0..<Int32(columnCount) { byteCount += Int(PQgetlength(result, r, c)) }
        }
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, cellCount * 2 * MemoryLayout<Int>.stride + byteCount),
            alignment: MemoryLayout<Int>.alignment)
        spans = storage.bindMemory(to: Int.self, capacity: cellCount * 2)
        bytes = (storage + cellCount * 2 * MemoryLayout<Int>.stride).bindMemory(to: UInt8.self, capacity: byteCount)
        var cell = 0
        var offset = 0
        for r in 0..<Int32(rowCount) {
            for c in 0..<Int32(columnCount) {
                spans[cell] = offset
                if PQgetisnull(result, r, c) == 1 {
                    spans[cell + 1] = -1
                } else {
                    let length = Int(PQgetlength(result, r, c))
                    if length > 0 { memcpy(bytes + offset, PQgetvalue(result, r, c), length) }
                    spans[cell + 1] = length
                    offset += length
                }
                cell += 2
            }
        }
    }

    deinit { UnsafeMutableRawPointer(spans).deallocate() }

    /// A cell's text (UTF-8, no terminator), nil for NULL; valid while this object lives.
    @usableFromInline
    func value(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        let cell = (row * columnCount + column) * 2
        let length = spans[cell + 1]
        guard length >= 0 else { return nil }
        return UnsafeBufferPointer(start: bytes + spans[cell], count: length)
    }
}
