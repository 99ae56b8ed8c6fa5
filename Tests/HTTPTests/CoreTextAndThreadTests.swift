import Core
import Foundation
import Synchronization
import Testing

/// The text helpers and thread primitives `Core` has instead of full Foundation: each must mean
/// what the Foundation call it replaced meant (Foundation is the oracle here, in the tests only).
@Suite struct CoreTextAndThreadTests {
    static let samples = [
        "", " ", "\t\n", "plain", "  both ends \t", "\u{00A0}no-break\u{2003}", "\u{2028}lines\u{2029}",
        "\u{0085}next line\r\n", "inner  space stays", "é\u{0301} ", " \u{0301}combining", "\u{FEFF}bom",
        "\u{000B}\u{000C}tabs", "日本 語\u{3000}",
    ]

    @Test func trimmed_meansFoundationsWhitespaceAndNewlines() {
        for text in Self.samples {
            #expect(
                text.trimmed() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(text.unicodeScalars))")
            #expect(
                text.trimmedOfSpaces() == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
        }
        #expect("  a \n".trimmedOfSpaces() == "a \n")
        #expect(Substring("  x  ").trimmed() == "x")
    }

    @Test func replacingAll_replacesEveryOccurrence_evenBeforeACombiningMark() {
        for text in Self.samples + ["a_b__c", "\\%_", "\"quoted\"", "no match"] {
            for (target, replacement) in [("_", " "), ("\\", "\\\\"), ("\"", "\"\""), ("  ", "+"), ("%", "")] {
                #expect(
                    text.replacingAll(target, with: replacement)
                        == text.replacingOccurrences(of: target, with: replacement))
            }
        }
        // One grapheme (a quote and a combining acute), but the quote must still be escaped.
        #expect("a\"\u{0301}b".replacingAll("\"", with: "\"\"") == "a\"\"\u{0301}b")
        #expect("abc".replacingAll("", with: "x") == "abc")
    }

    @Test func zeroPadded_andHexString_matchPrintf() {
        for value in [0, 7, 42, 999, 1_000, 12_345, 123_456, -5, -42] {
            for width in [1, 2, 4, 6] {
                #expect(value.zeroPadded(width: width) == String(format: "%0\(width)d", value))
            }
        }
        let bytes: [UInt8] = [0, 1, 0x0F, 0x10, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(bytes.hexString == bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test func condition_timesOut_orWakesOnSignal() {
        let condition = Condition()
        condition.lock()
        let started = ContinuousClock.now
        #expect(condition.wait(seconds: 0.05) == false)
        #expect(ContinuousClock.now - started >= .milliseconds(45))
        condition.unlock()

        let woken = Atomic<Bool>(false)
        BackgroundThread.start(name: "test-signaller") {
            usleep(20_000)
            condition.lock()
            woken.store(true, ordering: .relaxed)
            condition.signal()
            condition.unlock()
        }
        condition.lock()
        var signalled = false
        while !woken.load(ordering: .relaxed) { signalled = condition.wait(seconds: 10) }
        condition.unlock()
        #expect(signalled)
    }

    @Test func backgroundThread_runsItsBody_underItsName_cutTo15Bytes() {
        let seen = Mutex("")
        let ran = DispatchSemaphore(value: 0), finish = DispatchSemaphore(value: 0)
        BackgroundThread.start(name: "concord-test-thread-name", stackSize: 1 << 20) {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            seen.withLock { $0 = name }
            ran.signal()
            finish.wait()
        }
        #expect(ran.wait(timeout: .now() + 10) == .success)
        #expect(seen.withLock { $0 } == "concord-test-th\n")
        finish.signal()
    }
}
