import Foundation
import Testing

@testable import HTTPClient

/// The webhook SSRF guard: which addresses count as private.
@Suite struct PrivateAddressTests {
    func isPrivate(_ text: String) -> Bool {
        if text.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            _ = inet_pton(AF_INET6, text, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { HTTPClient.isPrivate($0) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        _ = inet_pton(AF_INET, text, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { HTTPClient.isPrivate($0) }
        }
    }

    @Test func privateLoopbackLinkLocalAndSpecialRanges_areRefused() {
        for address in [
            "127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0",
            "100.64.0.1", "198.18.0.1", "192.0.0.8", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "ff02::1",
            "::ffff:10.0.0.1", "2002:0a00:0001::1", "64:ff9b::7f00:1",
        ] {
            #expect(isPrivate(address), "\(address) should be refused")
        }
    }

    @Test func publicAddresses_areAllowed() {
        for address in [
            "93.184.216.34", "8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2606:4700::1111",
            "::ffff:8.8.8.8", "2002:0808:0808::1", "64:ff9b::808:808",
        ] {
            #expect(!isPrivate(address), "\(address) should be allowed")
        }
    }

    @Test func targets_parseOnlyAbsoluteHTTPURLs() {
        #expect(
            (try? HTTPClient.Target.parse("https://example.com/hook?x=1").get())
                == HTTPClient.Target(secure: true, host: "example.com", port: 443, path: "/hook?x=1"))
        #expect((try? HTTPClient.Target.parse("http://[::1]:8080").get())?.host == "::1")
        for bad in [
            "ftp://example.com/", "example.com/hook", "http://user:pw@example.com/", "http:///nohost",
            "http://example.com:99999/",
        ] {
            #expect((try? HTTPClient.Target.parse(bad).get()) == nil, "\(bad)")
        }
    }
}
