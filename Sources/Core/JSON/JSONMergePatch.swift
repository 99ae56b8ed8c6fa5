extension JSONValue {
    /// This document with `patch` applied as an RFC 7396 JSON merge patch: members of an object
    /// patch replace or (when `null`) remove the target's members, recursively; any other patch
    /// replaces the target whole (§2).
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var target = objectValue ?? JSONObject()
        for (key, change) in changes {
            if change.isNull {
                _ = target.remove(key)
            } else {
                target.set(key, (target[key] ?? .null).mergePatched(with: change))
            }
        }
        return .object(target)
    }

    /// This object with only the members named in `keys` (for the writable part of a resource).
    public func keeping(_ keys: Set<String>) -> JSONValue {
        guard case .object(let object) = self else { return self }
        return .object(JSONObject(object.filter { keys.contains($0.key) }.map { ($0.key, $0.value) }))
    }
}
