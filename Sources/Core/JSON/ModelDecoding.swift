extension JSONValue {
    /// Decodes `T` from this value with the request-body rules: 422 `read_only_field` when a
    /// top-level member in `readOnly` is present, 422 `unknown_field` when the only problems are
    /// unknown members, else 422 `validation_failed` with every field error.
    public func decodeModel<T: Decodable>(_ type: T.Type, readOnly: Set<String> = []) throws -> T {
        if !readOnly.isEmpty, let object = objectValue {
            let sent = object.keys.filter { readOnly.contains($0) }
            if !sent.isEmpty {
                throw AppError(
                    .readOnlyField, "the request body sets fields the server maintains",
                    errors: sent.map { FieldError(field: $0, message: "is read-only") })
            }
        }
        do {
            return try JSONValueDecoder().decode(T.self, from: self)
        } catch {
            let onlyUnknown = error.errors.allSatisfy { $0.message == FieldError.unknownFieldMessage }
            throw AppError(
                onlyUnknown ? .unknownField : .validationFailed,
                onlyUnknown
                    ? "the request body has fields this endpoint does not accept"
                    : "the request body has invalid fields",
                errors: error.errors)
        }
    }
}

/// The one PATCH routine (RFC 7396): the writable part of the current record, with the client's
/// merge patch applied, decoded as the resource's input type, so an update is validated by
/// exactly the rules a create is.
public enum MergePatch {
    /// `current` encoded, reduced to `writable`, patched with `patch` and decoded as `Input`.
    public static func apply<Current: Encodable, Input: Decodable>(
        _ patch: JSONValue, to current: Current, writable: Set<String>, as type: Input.Type
    ) throws -> Input {
        try apply(patch, toDocument: try JSONValueEncoder().encode(current).keeping(writable), as: type)
    }

    /// The same, for a record whose writable document is already built.
    public static func apply<Input: Decodable>(_ patch: JSONValue, toDocument writable: JSONValue, as type: Input.Type)
        throws
        -> Input
    {
        try writable.mergePatched(with: patch).decodeModel(type)
    }
}
