/// Routes collected by a builder, then frozen into an immutable trie keyed by path segment.
/// Static segments beat `{parameters}`; a known path with another method is a 405 with `Allow`;
/// `HEAD` is served by `GET` routes.
public struct RouterBuilder: Sendable {
    private(set) var routes: [Route] = []

    public init() {}

    /// Registers `handler` for `method` and `template` (`/customers/{id}/contacts`).
    /// - access: who may call it (required, so no route is added without a decision).
    /// - query: the query parameters it accepts.
    /// - inline: true only for handlers that never block (answered on the I/O thread).
    public mutating func add(
        _ method: String, _ template: String, access: RouteAccess, query: Set<String> = [],
        inline: Bool = false, _ handler: @escaping Handler
    ) {
        precondition(template.hasPrefix("/"), "route templates start with /: \(template)")
        precondition(
            !routes.contains { $0.method == method && $0.template == template }, "duplicate route \(method) \(template)"
        )
        routes.append(
            Route(method: method, template: template, access: access, query: query, inline: inline, handler: handler))
    }

    public mutating func get(
        _ template: String, access: RouteAccess, query: Set<String> = [], inline: Bool = false,
        _ handler: @escaping Handler
    ) {
        add("GET", template, access: access, query: query, inline: inline, handler)
    }

    public mutating func post(
        _ template: String, access: RouteAccess, query: Set<String> = [], _ handler: @escaping Handler
    ) {
        add("POST", template, access: access, query: query, handler)
    }

    public mutating func put(_ template: String, access: RouteAccess, _ handler: @escaping Handler) {
        add("PUT", template, access: access, handler)
    }

    public mutating func patch(_ template: String, access: RouteAccess, _ handler: @escaping Handler) {
        add("PATCH", template, access: access, handler)
    }

    public mutating func delete(_ template: String, access: RouteAccess, _ handler: @escaping Handler) {
        add("DELETE", template, access: access, handler)
    }

    /// Freezes the routes into a router.
    public func build() -> Router { Router(routes: routes) }
}

/// The immutable route trie.
public final class Router: Sendable {
    final class Node: Sendable {
        let statics: [String: Node]
        let parameter: (name: String, node: Node)?
        let methods: [String: Route]

        init(statics: [String: Node], parameter: (name: String, node: Node)?, methods: [String: Route]) {
            self.statics = statics
            self.parameter = parameter
            self.methods = methods
        }
    }

    /// The result of looking a path up.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path exists with other methods (405); `allowed` is sorted for the `Allow` header.
        case methodNotAllowed(allowed: [String], template: String)
        case notFound
    }

    private let root: Node
    public let routes: [Route]
    /// The exact paths of inline GET routes without parameters (`/healthz`): the I/O thread
    /// asks about every request, and comparing the raw path with these few is far cheaper than
    /// routing it. A path that reaches one of them another way (`/healthz/`, an escape) is
    /// simply answered by a worker.
    private let inlinePaths: [String]

    init(routes: [Route]) {
        self.routes = routes
        root = Self.buildNode(routes.map { (Self.segments(of: $0.template)[...], $0) })
        inlinePaths = routes.filter { $0.inline && $0.method == "GET" && !$0.template.contains("{") }.map(\.template)
    }

    /// Whether a request for `method` and raw `path` is answered by an inline route.
    public func isInline(method: String, path: Substring) -> Bool {
        guard method == "GET" || method == "HEAD" else { return false }
        return path.withUTF8Bytes { raw in
            inlinePaths.contains { candidate in
                candidate.utf8.count == raw.count && candidate.withUTF8Bytes { $0.elementsEqual(raw) }
            }
        }
    }

    static func segments(of template: String) -> [String] {
        template.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func buildNode(_ entries: [(ArraySlice<String>, Route)]) -> Node {
        var methods: [String: Route] = [:]
        var staticGroups: [String: [(ArraySlice<String>, Route)]] = [:]
        var parameterName: String?
        var parameterGroup: [(ArraySlice<String>, Route)] = []
        for (segments, route) in entries {
            guard let first = segments.first else {
                methods[route.method] = route
                continue
            }
            if first.hasPrefix("{") && first.hasSuffix("}") {
                let name = String(first.dropFirst().dropLast())
                precondition(
                    parameterName == nil || parameterName == name,
                    "conflicting parameter names {\(parameterName!)} and {\(name)} at the same position (\(route.template))"
                )
                parameterName = name
                parameterGroup.append((segments.dropFirst(), route))
            } else {
                staticGroups[first, default: []].append((segments.dropFirst(), route))
            }
        }
        let statics = staticGroups.mapValues { buildNode($0) }
        let parameter = parameterName.map { (name: $0, node: buildNode(parameterGroup)) }
        return Node(statics: statics, parameter: parameter, methods: methods)
    }

    /// Finds the route for `method` and decoded `segments`.
    public func match(method: String, segments: [String]) -> Match {
        var parameters: [String: String] = [:]
        guard let node = find(root, segments[...], &parameters) else { return .notFound }
        let lookup = method == "HEAD" ? "GET" : method
        if let route = node.methods[lookup] { return .found(route, parameters: parameters) }
        guard let any = node.methods.values.first else { return .notFound }
        var allowed = Set(node.methods.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        allowed.insert("OPTIONS")
        return .methodNotAllowed(allowed: allowed.sorted(), template: any.template)
    }

    /// Depth-first: a static child first, then the parameter, so `/customers/search` beats
    /// `/customers/{id}` but `/customers/123/contacts` still finds the parameter branch.
    private func find(_ node: Node, _ segments: ArraySlice<String>, _ parameters: inout [String: String]) -> Node? {
        guard let first = segments.first else { return node.methods.isEmpty ? nil : node }
        let rest = segments.dropFirst()
        if let child = node.statics[first], let found = find(child, rest, &parameters) { return found }
        if let (name, child) = node.parameter, !first.isEmpty {
            let previous = parameters[name]
            parameters[name] = first
            if let found = find(child, rest, &parameters) { return found }
            parameters[name] = previous
        }
        return nil
    }
}
