import Core
import FoundationEssentials
import Routing

/// Keyset pagination (API.md "Lists"): `limit` 1…200 (default 50, above 200 clamped), an
/// opaque cursor that carries the last row's sort key and id plus a fingerprint of the
/// filters and sort, so reusing it with other ones is a 400 instead of a silently wrong page.
public struct PageRequest: Sendable {
    public let limit: Int
    /// The sort key's text and the id of the last row already seen.
    public let after: (key: String, id: UUID)?
    let fingerprint: String

    /// The query parameters every list accepts besides its filters.
    public static let parameters: Set<String> = ["limit", "cursor"]

    /// Reads `limit` and `cursor`; `filters` are the other parameters that shape the list
    /// (their values go into the fingerprint).
    public init(_ request: Request, filters: [String] = []) throws {
        let requested = try request.query.int("limit") ?? 50
        guard requested >= 1 else { throw AppError.invalidParameter("limit", "must be at least 1") }
        limit = min(requested, 200)
        let shape = filters.sorted().map { "\($0)=\(request.query.values($0).joined(separator: ","))" }.joined(
            separator: "&")
        fingerprint = Crypto.hex(Array(Crypto.sha256("\(request.routeTemplate ?? "")?\(shape)").prefix(8)))
        guard let cursor = try request.query.string("cursor") else {
            after = nil
            return
        }
        guard let decoded = Self.decodeCursor(cursor) else {
            throw AppError(.invalidCursor, "the cursor is not one this API issued")
        }
        guard decoded.fingerprint == fingerprint else {
            throw AppError(
                .invalidCursor, "the cursor was issued for other filters or another sort; start again without it")
        }
        after = (decoded.key, decoded.id)
    }

    /// The page for rows fetched with `LIMIT limit + 1`: the extra row only tells that more exist.
    /// The rows are taken, not copied: copying a page of models retained every member again.
    public func page<T: Encodable>(_ rows: consuming [T], key: (T) -> String, id: (T) -> UUID) -> Page<T> {
        guard rows.count > limit else { return Page(data: rows, nextCursor: nil) }
        rows.removeLast(rows.count - limit)
        let last = rows[rows.count - 1]
        return Page(data: rows, nextCursor: Self.encodeCursor(fingerprint: fingerprint, key: key(last), id: id(last)))
    }

    static func encodeCursor(fingerprint: String, key: String, id: UUID) -> String {
        let text = "1\n\(fingerprint)\n\(id.uuidString.lowercased())\n\(key)"
        // base64url without padding, in one pass over the standard alphabet's bytes.
        let url = Data(text.utf8).base64EncodedString().utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }
        return String(decoding: url, as: UTF8.self)
    }

    static func decodeCursor(_ cursor: String) -> (fingerprint: String, key: String, id: UUID)? {
        var base64 = cursor.replacingAll("-", with: "+").replacingAll("_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 1_024, let data = Data(base64Encoded: base64),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "1", let id = UUID(uuidString: String(parts[2])) else { return nil }
        return (String(parts[1]), String(parts[3]), id)
    }
}

/// One page of a list: `{"data": [...], "next_cursor": "…" | null}`.
public struct Page<T: Encodable>: JSONMembers {
    public let data: [T]
    public let nextCursor: String?

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("data", data)
        try object.member("next_cursor", nextCursor)
    }
}
