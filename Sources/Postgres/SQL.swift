/// A statement with its parameters kept apart from its text: `"… WHERE id = \(id)"` becomes
/// `… WHERE id = $1` plus a bound value, so user input can never become SQL. Raw text needs
/// the visibly unsafe `\(unsafeRaw:)` spelling.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String
    public private(set) var binds: [PostgresBind]

    public init(stringLiteral value: String) {
        text = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
    }

    public init(unsafeRaw text: String) {
        self.text = text
        binds = []
    }

    /// Appends another fragment, renumbering its parameters.
    public mutating func append(_ other: SQL) {
        text += Self.renumber(other.text, offset: binds.count)
        binds += other.binds
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.append(rhs)
        return result
    }

    /// Joins fragments with `separator` (e.g. `" AND "` for filters).
    public static func join(_ parts: [SQL], separator: String) -> SQL {
        var result = SQL(unsafeRaw: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.append(SQL(unsafeRaw: separator)) }
            result.append(part)
        }
        return result
    }

    /// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally (for
    /// `q` searches).
    public static func likeContaining(_ text: String) -> String {
        "%"
            + text.replacingAll("\\", with: "\\\\").replacingAll("%", with: "\\%")
            .replacingAll("_", with: "\\_") + "%"
    }

    /// `column` (lower-case search text under a trigram index) contains `text`, lower-cased.
    ///
    /// A plain `LIKE '%text%'` makes the index intersect every trigram of the text, and the
    /// trigrams nearly every row shares (the `buy` of a million `buyer…@` addresses, `gma` of
    /// gmail) cost a scan of posting lists as long as the table: 30 ms at 1,000,000 customers,
    /// whatever the result. When the text holds a run of at least four digits (numbers, phone
    /// numbers, numbered addresses: the parts that tell records apart), only that run goes to
    /// the index and the whole text is checked with `strpos` on the rows it finds, which the
    /// index cannot serve and so does not widen its work. The rows are the same either way.
    ///
    /// That search names its rows by id, found first (an `ARRAY` subquery runs once): given the
    /// condition itself, PostgreSQL guesses how many rows a digit pattern matches from a sample,
    /// and where it guesses thousands it walks the list's sort index hoping to meet a page of
    /// them early, reading all 1,000,000 rows (1.2 s) when only one matches. A run of four
    /// digits matches few rows, so finding them all first is cheap.
    /// - column, table: code-chosen SQL, never input; `table` has the key `id`.
    public static func contains(_ column: String, _ text: String, in table: String) -> SQL {
        let lowered = text.lowercased()
        let target = SQL(unsafeRaw: column)
        guard let digits = longestDigitRun(lowered), digits.count >= 4 else {
            return "\(target) LIKE \(likeContaining(lowered))"
        }
        let source = SQL(unsafeRaw: table)
        // Digits alone: the LIKE already asks for the whole text.
        let wholeText: SQL = digits.count < lowered.count ? " AND strpos(\(target), \(lowered)) > 0" : ""
        return "id = ANY(ARRAY(SELECT id FROM \(source) WHERE \(target) LIKE \(likeContaining(digits))\(wholeText)))"
    }

    /// The longest run of ASCII digits in `text`, nil when it has none.
    static func longestDigitRun(_ text: String) -> String? {
        var best: Substring?
        var start: String.Index?
        var index = text.startIndex
        while true {
            let isDigit = index < text.endIndex && text[index].isASCII && text[index].isNumber
            if isDigit, start == nil { start = index }
            if !isDigit, let runStart = start {
                if text[runStart..<index].count > (best?.count ?? 0) { best = text[runStart..<index] }
                start = nil
            }
            if index == text.endIndex { break }
            index = text.index(after: index)
        }
        return best.map(String.init)
    }

    /// Shows the text only: parameters may be personal data and stay out of logs.
    public var description: String { text }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var text = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// A bound parameter.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            binds.append(value.postgresBind)
            text += "$\(binds.count)"
        }

        /// A bound parameter that may be NULL.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            binds.append(value?.postgresBind ?? PostgresBind(text: nil, type: T.postgresType))
            text += "$\(binds.count)"
        }

        /// An embedded fragment whose own parameters are renumbered.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += SQL.renumber(fragment.text, offset: binds.count)
            binds += fragment.binds
        }

        /// Raw text spliced into the statement: only for identifiers and keywords the code
        /// itself chose, never for input.
        public mutating func appendInterpolation(unsafeRaw raw: String) { text += raw }
    }

    /// Shifts `$n` placeholders by `offset` (skipping quoted text is unnecessary: fragments
    /// built here never contain literal `$` inside strings).
    static func renumber(_ text: String, offset: Int) -> String {
        guard offset > 0, text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "$" {
                var end = text.index(after: index)
                while end < text.endIndex, text[end].isASCII, text[end].isNumber { end = text.index(after: end) }
                if end > text.index(after: index), let n = Int(text[text.index(after: index)..<end]) {
                    result += "$\(n + offset)"
                    index = end
                    continue
                }
            }
            result.append(character)
            index = text.index(after: index)
        }
        return result
    }
}
