import Foundation
import Testing

@testable import Platform

/// The digests keys are stored and checked by: a wrong hash would still match itself, so these
/// compare with published values.
@Suite struct CryptoTests {
    @Test func sha256_matchesTheFIPS180Examples() {
        // FIPS 180-2, appendix B.1 and B.2; the empty input from NIST's byte-oriented test vectors.
        #expect(Crypto.hex(Crypto.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Crypto.hex(Crypto.sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Crypto.hex(Crypto.sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Crypto.sha256([UInt8]()) == Crypto.sha256(""))
    }

    @Test func storedHashHex_readsBackToTheSameBytes() {
        let digest = Crypto.sha256("ck_secret")
        #expect(UserStore.bytes(fromHex: Crypto.hex(digest)) == digest)
        #expect(UserStore.bytes(fromHex: Crypto.hex(digest).uppercased()) == digest)
        #expect(UserStore.bytes(fromHex: "") == [])
    }
}
