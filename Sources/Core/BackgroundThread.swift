import CLinuxShims
import Glibc

/// Starts threads of the process's own (not Dispatch's, nor Swift concurrency's pool): the
/// server's event loops and workers, and the background loops that block on the database.
///
/// `Core`'s own instead of Foundation's `Thread`, which would link full Foundation.
public enum BackgroundThread {
    /// Starts a detached thread running `body`. `name` shows in `top -H` and `/proc/…/task/*/comm`
    /// (Linux keeps its first 15 bytes); `stackSize` in bytes, or the system default when nil.
    public static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        final class Start {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize { pthread_attr_setstacksize(&attributes, max(stackSize, Int(PTHREAD_STACK_MIN))) }
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { context in
                let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
                _ = cshim_set_thread_name(start.name)
                start.body()
                return nil
            }, start)
        precondition(status == 0, "pthread_create: \(status)")
    }
}
