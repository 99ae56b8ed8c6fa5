import Core

/// One line of a shipment or a receipt: which document line, and how much of it moves now.
public struct LineQuantity: Decodable, Sendable {
    public var lineNo: Int
    public var quantity: ExactDecimal

    /// The field errors of a list of them: at least one line, each quantity above zero, no line
    /// twice. Paths are `lines[i].…`.
    public static func problems(_ lines: [LineQuantity]) -> [FieldError] {
        var errors: [FieldError] = []
        if lines.isEmpty { errors.append(FieldError(field: "lines", message: "must list at least one line")) }
        var seen = Set<Int>()
        for (index, line) in lines.enumerated() {
            if line.quantity <= .zero {
                errors.append(FieldError(field: "lines[\(index)].quantity", message: "must be more than 0"))
            }
            if !seen.insert(line.lineNo).inserted {
                errors.append(FieldError(field: "lines[\(index)].line_no", message: "appears twice"))
            }
        }
        return errors
    }
}
