import Core
import FoundationEssentials
import Routing

extension Versioning {
    /// The answer to a binding action: 200 with the document, or, when the document now waits
    /// for an approval, 202 Accepted with the document (`pending_approval`) and its `approval`,
    /// `Location` naming the approval.
    public static func respond<T: Encodable & Sendable>(_ request: Request, _ gated: Gated<T>, version: Int) throws
        -> Response
    {
        guard let hold = gated.approval else { return try respond(request, gated.document, version: version) }
        guard case .object(var body) = try JSONValueEncoder().encode(gated.document) else {
            return try respond(request, gated.document, version: version)
        }
        body.set("approval", hold.representation)
        return .json(
            JSONValue.object(body), status: 202,
            headers: ["ETag": etag(version), "Location": "/approvals/\(hold.id.uuidString.lowercased())"])
    }
}
