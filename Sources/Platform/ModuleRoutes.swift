import Core
import Routing

/// A module's HTTP side as the application wires it: the routes and permissions it registers,
/// and the problem codes it can answer with. App lists each module once, as one of these, so
/// a module's routes and its `/problems/{code}` entries cannot be wired apart.
public protocol ModuleRoutes: Sendable {
    /// The module's own problem codes (beyond `ProblemCode.common`).
    static var problemCodes: [ProblemCode] { get }
    func register(in router: inout RouterBuilder, permissions: PermissionTable)
}

extension ModuleRoutes {
    public static var problemCodes: [ProblemCode] { [] }
}
