import Core

/// The input rules every commercial document applies (orders, invoices, opportunities): its
/// header's free text and currency, how many lines it has, and each line's figures.
public enum DocumentRules {
    public static let maxLines = 500
    public static let maxNotesLength = 10_000
    public static let maxExternalRefLength = 200
    public static let maxDescriptionLength = 1_000

    /// The header's field errors: an ISO 4217 `currency`, `notes` and `external_ref` within
    /// their lengths (absent fields pass).
    public static func headerProblems(currency: String?, notes: String?, externalRef: String? = nil) -> [FieldError] {
        var errors: [FieldError] = []
        if let currency, let message = Currency.problem(currency) {
            errors.append(FieldError(field: "currency", message: message))
        }
        if let notes, notes.count > maxNotesLength {
            errors.append(FieldError(field: "notes", message: "must be at most \(maxNotesLength) characters"))
        }
        if let externalRef, externalRef.count > maxExternalRefLength {
            errors.append(
                FieldError(field: "external_ref", message: "must be at most \(maxExternalRefLength) characters"))
        }
        return errors
    }

    /// The error for more than 500 lines, or none.
    public static func countProblems(_ count: Int) -> [FieldError] {
        count > maxLines ? [FieldError(field: "lines", message: "must have at most \(maxLines) lines")] : []
    }

    /// One line's field errors, under `path` (`lines[3]`): a quantity above zero, a price in the
    /// money range (`priceField` names it: `unit_price`, `unit_cost`), discount and tax rate
    /// between 0 and 100, a description of at most 1000 characters. Absent fields pass.
    public static func lineProblems(
        at path: String, quantity: ExactDecimal, price: Int64?, priceField: String = "unit_price",
        discountPercent: ExactDecimal? = nil, taxRate: ExactDecimal? = nil,
        description: String? = nil
    ) -> [FieldError] {
        var errors: [FieldError] = []
        if quantity <= .zero { errors.append(FieldError(field: "\(path).quantity", message: "must be more than 0")) }
        if let price, let message = MoneyRules.problem(price) {
            errors.append(FieldError(field: "\(path).\(priceField)", message: message))
        }
        if let discountPercent, !isPercentage(discountPercent) {
            errors.append(FieldError(field: "\(path).discount_percent", message: "must be between 0 and 100"))
        }
        if let taxRate, !isPercentage(taxRate) {
            errors.append(FieldError(field: "\(path).tax_rate", message: "must be between 0 and 100"))
        }
        if let description, description.count > maxDescriptionLength {
            errors.append(
                FieldError(field: "\(path).description", message: "must be at most \(maxDescriptionLength) characters"))
        }
        return errors
    }

    /// Between 0 and 100 inclusive.
    public static func isPercentage(_ value: ExactDecimal) -> Bool {
        value >= .zero && value <= ExactDecimal(integer: 100)
    }

    /// Throws the 422 for `errors` unless there are none.
    public static func check(_ errors: [FieldError]) throws {
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// An order's writable fields as a client sends them (sales and purchase orders): free-text
/// header, currency and lines, trimmed and checked by the shared rules.
public protocol OrderInput: RecordInput {
    associatedtype LineInput
    var currency: String? { get }
    var notes: String? { get set }
    var externalRef: String? { get set }
    var lines: [LineInput]? { get }
    /// One line's field errors under `path` (`lines[3]`).
    static func problems(of line: LineInput, at path: String) -> [FieldError]
}

extension OrderInput {
    /// Notes and external reference trimmed; empty means absent.
    public mutating func normalize() {
        notes = notes.trimmedOrNil
        externalRef = externalRef.trimmedOrNil
    }

    /// The header's, the line count's and every line's field errors, in one 422.
    public func validate() throws {
        let lines = self.lines ?? []
        try DocumentRules.check(
            DocumentRules.headerProblems(currency: currency, notes: notes, externalRef: externalRef)
                + DocumentRules.countProblems(lines.count)
                + lines.enumerated().flatMap { index, line in Self.problems(of: line, at: "lines[\(index)]") })
    }
}

extension DocumentRules {
    /// A 409 `invalid_transition` unless a document numbered `number` may go from `status` to
    /// `target`, that is unless `status` is one of `allowed`.
    public static func checkTransition<State: RawRepresentable & Hashable>(
        _ number: String, from status: State, to target: State,
        allowed: Set<State>
    ) throws where State.RawValue == String {
        guard allowed.contains(status) else {
            throw AppError.invalidTransition(
                "\(number) cannot go from \(status.rawValue) to \(target.rawValue)", from: status, to: target)
        }
    }
}
