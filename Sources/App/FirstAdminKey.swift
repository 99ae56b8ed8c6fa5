import FoundationEssentials
import Glibc
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the first admin key (made on the first start of an empty database) to the person
/// starting the server, never through the log stream: a log line would put the secret into
/// whatever collects logs, and a multi-line text breaks `CONCORD_LOG_FORMAT=json`.
public enum FirstAdminKey {
    /// The file under `CONCORD_DATA_DIR` that holds the key when standard output is not a terminal.
    public static let fileName = "admin-api-key"

    /// On a terminal, prints the key there; otherwise writes it to
    /// `<dataDirectory>/admin-api-key` (mode 0600) and logs only that path.
    public static func deliver(
        _ key: String, configuration: Configuration, port: Int, logger: Logger,
        toTerminal: Bool = isatty(STDOUT_FILENO) == 1
    ) {
        if toTerminal {
            print(
                """

                First admin API key (shown once, store it now):
                  \(key)
                Try: curl -H 'Authorization: Bearer \(key)' http://\(configuration.host):\(port)/me

                """)
            fflush(nil)
            return
        }
        let directory = URL(fileURLWithPath: configuration.dataDirectory).standardizedFileURL
        let path = directory.appendingPathComponent(fileName).path
        do {
            try write(key + "\n", to: path, creating: directory)
            logger.notice(
                "first admin API key written to a file readable only by this account; store it, then delete the file",
                metadata: ["path": "\(path)"])
        } catch {
            logger.error(
                "could not write the first admin API key; make one with: concord api-keys create --user admin@concord.local",
                metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Creates or replaces the file with mode 0600 (also when it existed with a wider mode).
    static func write(_ text: String, to path: String, creating directory: URL) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            written += n
        }
    }
}
