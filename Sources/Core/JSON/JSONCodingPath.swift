/// A location while coding: a linked list from the innermost component up to the root, so
/// descending into a member costs one small allocation instead of copying an array.
final class JSONCodingPath {
    enum Component {
        /// An object member by its JSON name (already snake_case).
        case key(String)
        case index(Int)
    }

    let parent: JSONCodingPath?
    let component: Component
    /// The key Swift code sees in `codingPath` (its own CodingKey, or an index/verbatim key).
    let codingKey: any CodingKey

    init(parent: JSONCodingPath?, component: Component, codingKey: any CodingKey) {
        self.parent = parent
        self.component = component
        self.codingKey = codingKey
    }

    static func appending(_ parent: JSONCodingPath?, key name: String, codingKey: any CodingKey) -> JSONCodingPath {
        JSONCodingPath(parent: parent, component: .key(name), codingKey: codingKey)
    }

    static func appending(_ parent: JSONCodingPath?, index: Int) -> JSONCodingPath {
        JSONCodingPath(parent: parent, component: .index(index), codingKey: JSONIndexKey(index))
    }

    /// Whether two paths name the same location (compared component by component).
    static func same(_ lhs: JSONCodingPath?, _ rhs: JSONCodingPath?) -> Bool {
        var left = lhs
        var right = rhs
        while let l = left, let r = right {
            if l === r { return true }
            switch (l.component, r.component) {
            case (.key(let a), .key(let b)) where a == b: break
            case (.index(let a), .index(let b)) where a == b: break
            default: return false
            }
            left = l.parent
            right = r.parent
        }
        return left == nil && right == nil
    }

    static func codingPath(_ path: JSONCodingPath?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = path
        while let current = node {
            keys.append(current.codingKey)
            node = current.parent
        }
        return keys.reversed()
    }

    /// `lines[1].quantity`; empty for the root.
    static func field(_ path: JSONCodingPath?) -> String {
        var components: [Component] = []
        var node = path
        while let current = node {
            components.append(current.component)
            node = current.parent
        }
        return format(components.reversed())
    }

    static func format(_ components: some Sequence<Component>) -> String {
        var result = ""
        for component in components {
            switch component {
            case .key(let name):
                if !result.isEmpty { result += "." }
                result += name
            case .index(let index):
                result += "[\(index)]"
            }
        }
        return result
    }

    /// The field for a `codingPath` a model reported in its own `DecodingError`.
    static func field(codingPath: [any CodingKey]) -> String {
        format(
            codingPath.map { key -> Component in
                if let index = key as? JSONIndexKey { return .index(index.intValue ?? 0) }
                if let verbatim = key as? JSONVerbatimKey { return .key(verbatim.stringValue) }
                return .key(JSONKeyCase.snakeCase(key.stringValue))
            })
    }
}

/// Array positions in `codingPath`, recognisable when converting a path back to a field.
struct JSONIndexKey: CodingKey {
    let index: Int
    init(_ index: Int) { self.index = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { index = intValue }
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
}

/// Keys used as written, never case-converted: dictionary keys and `super`.
struct JSONVerbatimKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue) }
    var intValue: Int? { nil }
}
