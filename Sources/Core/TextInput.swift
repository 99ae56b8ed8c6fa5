import FoundationEssentials

extension Optional where Wrapped == String {
    /// Trimmed of surrounding white space; nil when nothing is left, so `""` and an absent
    /// field mean the same.
    public var trimmedOrNil: String? {
        guard let text = self?.trimmed(), !text.isEmpty else { return nil }
        return text
    }
}

/// The one email rule every module applies: deliberately loose (one `@`, something on both
/// sides, a dot after it, no spaces, at most 320 characters). Mail servers are the real judge,
/// and rejecting a valid address is worse than accepting an odd one.
public enum EmailAddress {
    /// The field message for an address that breaks the rule, or nil.
    public static func problem(_ email: String) -> String? {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 320, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !email.contains(where: { $0.isWhitespace })
        else { return "must be an email address" }
        return nil
    }
}

extension AppError {
    /// 409 `invalid_transition` naming both states (API.md): `to` is nil when the request asked
    /// for no particular state (an edit of a record that no longer changes).
    public static func invalidTransition(_ detail: String, from: String, to: String?) -> AppError {
        AppError(
            .invalidTransition, detail,
            extra: JSONObject([("from_state", .string(from)), ("to_state", to.map(JSONValue.string) ?? .null)]))
    }

    /// The same, for a document's status enum.
    public static func invalidTransition<State: RawRepresentable>(_ detail: String, from: State, to: State?) -> AppError
    where State.RawValue == String {
        invalidTransition(detail, from: from.rawValue, to: to?.rawValue)
    }
}

/// The checks every party record shares (customers, their contacts, suppliers, leads): a name of
/// 1 to 200 characters, an email by `EmailAddress`, a phone of at most 50 characters; the
/// columns' CHECK constraints say the same.
public enum PartyFields {
    public static func problems(name: String, email: String?, phone: String?) -> [FieldError] {
        var errors: [FieldError] = []
        if name.isEmpty || name.count > 200 {
            errors.append(FieldError(field: "name", message: "must be 1 to 200 characters"))
        }
        if let email, let message = EmailAddress.problem(email) {
            errors.append(FieldError(field: "email", message: message))
        }
        if let phone, phone.count > 50 {
            errors.append(FieldError(field: "phone", message: "must be at most 50 characters"))
        }
        return errors
    }
}
