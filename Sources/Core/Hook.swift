import Synchronization

/// A function one module installs into another while App wires them (a lookup, a check, a
/// watcher), which requests then call for the life of the process.
///
/// Not a `Mutex<Function?>`: reading a closure out of `withLock`'s `inout` value converts it
/// from the generic to the concrete function representation and writes it back wrapped in a
/// conversion thunk, so every read made each later call one frame deeper, until, thousands of
/// requests on, a worker's stack overflowed. A class instance holds the function here; reading
/// the reference converts nothing.
public final class Hook<Function: Sendable>: Sendable {
    private final class Installed: Sendable {
        let function: Function
        init(_ function: Function) { self.function = function }
    }

    private let installed = Mutex<Installed?>(nil)

    public init() {}

    /// Installs `function`, replacing any before it. Call only while wiring.
    public func install(_ function: Function) {
        let installed = Installed(function)
        self.installed.withLock { $0 = installed }
    }

    /// The installed function, or nil before one is.
    public var function: Function? { installed.withLock { $0 }?.function }
}
