import Core
import HTTP
import Routing

/// ETag / If-Match / If-None-Match for rows with an integer `version` (API.md: strong ETags,
/// 412 with the current ETag and `current_version` on mismatch, 304 on a matching GET).
public enum Versioning {
    public static func etag(_ version: Int) -> String { "\"\(version)\"" }

    /// Throws 412 when the request's `If-Match` names another version; no header passes.
    public static func checkIfMatch(_ request: Request, currentVersion: Int) throws {
        guard let header = request.headers["If-Match"] else { return }
        let tags = header.split(separator: ",").map { $0.trimmingHTTPWhitespace() }
        if tags.contains("*") || tags.contains(Substring(etag(currentVersion))) { return }
        throw AppError(
            .preconditionFailed, "the resource is at version \(currentVersion); reload it and retry",
            extra: JSONObject([("current_version", .number(String(currentVersion)))]),
            headers: [("ETag", etag(currentVersion))])
    }

    /// The request's `If-Match` check as a function a service calls with the version it locked.
    public static func ifMatch(_ request: Request) -> (Int) throws -> Void {
        { try checkIfMatch(request, currentVersion: $0) }
    }

    /// A 200 JSON response with the ETag, or a bare 304 when `If-None-Match` already has it.
    public static func respond<T: Encodable>(_ request: Request, _ value: T, version: Int, status: Int = 200) throws
        -> Response
    {
        let tag = etag(version)
        // Only a read may answer 304: after a write the client needs the new representation.
        if status == 200, request.method == "GET" || request.method == "HEAD",
            let header = request.headers["If-None-Match"],
            header.split(separator: ",").map({ $0.trimmingHTTPWhitespace() }).contains(where: {
                $0 == tag || $0 == "*" || $0 == "W/" + tag
            })
        {
            return Response(status: 304, headers: ["ETag": tag])
        }
        return try .json(value, status: status, headers: ["ETag": tag])
    }
}
