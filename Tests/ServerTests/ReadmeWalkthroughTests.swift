import Foundation
import TestSupport
import Testing

/// README.md's "From a lead to cash" session, run as written against a test server on a fresh
/// database: every command must succeed and every answer the README shows (`# → {…}`) must be
/// in the real one, so the walkthrough cannot drift from the API.
@Suite struct ReadmeWalkthroughTests {
    struct Step {
        var command: String
        var answer: String?
    }

    /// The first ```sh block under the "From a lead to cash" heading, as commands each with the
    /// answer line that follows it.
    static func steps() throws -> [Step] {
        let readme = try String(
            contentsOf: OperationsTests.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## From a lead to cash\n").dropFirst().first)
        let block = try #require(
            section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "\n```").first)
        var steps: [Step] = []
        var pending = ""
        for line in block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("# → ") {
                try #require(
                    !steps.isEmpty && steps[steps.count - 1].answer == nil, "an answer without its command: \(line)")
                steps[steps.count - 1].answer = String(line.dropFirst("# → ".count))
            } else if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty {
                continue
            } else if line.hasSuffix("\\") {
                pending += line + "\n"
            } else {
                steps.append(Step(command: pending + line))
                pending = ""
            }
        }
        return steps
    }

    /// `"key":value` pairs of an abbreviated answer (strings, numbers, booleans, null).
    static func pairs(_ answer: String) throws -> [String] {
        let pattern = try NSRegularExpression(
            pattern: #""[a-z_]+":("(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?|true|false|null)"#)
        return pattern.matches(in: answer, range: NSRange(answer.startIndex..., in: answer)).map {
            String(answer[Range($0.range, in: answer)!])
        }
    }

    @Test func leadToCash_runsAsWritten_andAnswersAsShown() throws {
        let steps = try Self.steps()
        #expect(steps.filter { $0.answer != nil }.count >= 12)
        let app = try TestApp()
        defer { app.stop() }

        // One bash session, so the block's variables carry over; a marker after each command
        // splits the output per command.
        var script = "set -euo pipefail\n"
        for (index, step) in steps.enumerated() {
            script += step.command + "\necho '@@step \(index)@@'\n"
        }
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["KEY"] = app.adminKey
        environment["API"] = "http://127.0.0.1:\(app.port)"
        bash.environment = environment
        let output = Pipe()
        let errors = Pipe()
        bash.standardOutput = output
        bash.standardError = errors
        try bash.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bash.waitUntilExit()
        #expect(bash.terminationStatus == 0, "the walkthrough stopped: \(errorText)\n\(text.suffix(2000))")

        var rest = Substring(text)
        for (index, step) in steps.enumerated() {
            let marker = "@@step \(index)@@\n"
            guard let end = rest.range(of: marker) else {
                Issue.record("no output after: \(step.command)")
                return
            }
            let answer = String(rest[..<end.lowerBound])
            rest = rest[end.upperBound...]
            guard let shown = step.answer else { continue }
            let expected = try Self.pairs(shown)
            #expect(!expected.isEmpty, "an answer with nothing to check: \(shown)")
            for pair in expected {
                #expect(
                    answer.contains(pair),
                    "\(step.command)\n  answered: \(answer.prefix(600))\n  lacks \(pair) shown in the README")
            }
        }
    }
}
