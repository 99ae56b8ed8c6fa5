import CLibPQ
import Glibc

/// The values of one result, read in place from libpq's PGresult, which this object owns and
/// clears when the last row goes. Copying every cell out first cost a sixth of reading a page
/// of 50 customers. A PGresult is never changed once made and libpq allows reading it from any
/// thread, so rows may be sent across threads.
@usableFromInline
final class ResultCells: @unchecked Sendable {
    @usableFromInline let columns: Row.ColumnIndex
    let rowCount: Int
    private let result: OpaquePointer

    init(taking result: OpaquePointer, columns: Row.ColumnIndex) {
        self.columns = columns
        self.result = result
        rowCount = Int(PQntuples(result))
    }

    deinit { PQclear(result) }

    /// A cell's text (UTF-8, no terminator), nil for NULL; valid while this object lives.
    @usableFromInline
    func value(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        let (r, c) = (Int32(truncatingIfNeeded: row), Int32(truncatingIfNeeded: column))
        guard let text = PQgetvalue(result, r, c) else { return nil }
        // libpq gives NULL as an empty string; only then is it worth asking which it is.
        if text.pointee == 0, PQgetisnull(result, r, c) == 1 { return nil }
        return UnsafeBufferPointer(
            start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: Int(PQgetlength(result, r, c)))
    }
}
