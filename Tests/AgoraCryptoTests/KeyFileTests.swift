import AgoraCore
import Foundation
import Testing
@testable import AgoraCrypto

@Suite("Key files")
struct KeyFileTests {
    static let cheap = KeyFile.ScryptParameters(n: 1 << 10, r: 8, p: 1)

    func tempPath(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "agora-keyfile-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    @Test("a plaintext key file round-trips with mode 0600")
    func plaintext() throws {
        let key = SigningKey()
        let path = tempPath("k.json")
        try KeyFile.plaintext(key, name: "k").write(to: path)
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let loaded = try KeyFile.read(from: path).unlock(password: nil)
        #expect(loaded.publicKey == key.publicKey)
        #expect(throws: KeyFileError.alreadyExists(path)) { try KeyFile.plaintext(key, name: "k").write(to: path) }
    }

    @Test("a key file written before Bech32m addresses (address in the old hex form) still opens; a wrong one is still refused")
    func legacyHexAddress() throws {
        let key = SigningKey(), other = SigningKey()
        let cheapFile = try KeyFile.encrypted(key, name: "old", password: "pw", parameters: KeyFileTests.cheap)
        for var file in [KeyFile.plaintext(key, name: "old"), cheapFile] {
            file.address = "ag1" + Hex.encode(key.address.bytes)
            #expect(try file.unlock(password: "pw").publicKey == key.publicKey)
            file.address = "ag1" + Hex.encode(other.address.bytes)
            #expect(throws: KeyFileError.tampered("address does not match publicKey")) { try file.unlock(password: "pw") }
        }
    }

    @Test("the default at-rest parameters (scrypt N=2^17, r=8, p=1) encrypt and decrypt")
    func standardParameters() throws {
        let key = SigningKey()
        let file = try KeyFile.encrypted(key, name: "std", password: "correct horse")
        #expect(file.encryption?.n == 1 << 17)
        #expect(file.encryption?.r == 8)
        #expect(file.encryption?.p == 1)
        #expect(!file.secret.contains(Hex.encode(key.seed)))
        #expect(try file.unlock(password: "correct horse").publicKey == key.publicKey)
    }

    @Test("a wrong password is reported as such")
    func wrongPassword() throws {
        let file = try KeyFile.encrypted(SigningKey(), name: "k", password: "right", parameters: Self.cheap)
        #expect(throws: KeyFileError.wrongPassword) { try file.unlock(password: "wrong") }
        #expect(throws: KeyFileError.passwordRequired) { try file.unlock(password: nil) }
        #expect(throws: KeyFileError.emptyPassword) { try KeyFile.encrypted(SigningKey(), name: "k", password: "") }
    }

    @Test("editing the ciphertext, public key, address or KDF parameters is detected")
    func tampering() throws {
        let key = SigningKey()
        let file = try KeyFile.encrypted(key, name: "k", password: "pw", parameters: Self.cheap)

        var cipher = file
        var raw = Hex.decode(cipher.secret)!
        raw[3] ^= 0x40
        cipher.secret = Hex.encode(raw)
        #expect(throws: KeyFileError.tampered("ciphertext or header failed authentication")) { try cipher.unlock(password: "pw") }

        let other = SigningKey()
        var swapped = file
        swapped.publicKey = other.publicKey.hex
        swapped.address = other.address.description
        #expect(throws: KeyFileError.tampered("ciphertext or header failed authentication")) { try swapped.unlock(password: "pw") }

        var address = file
        address.address = other.address.description
        #expect(throws: KeyFileError.tampered("address does not match publicKey")) { try address.unlock(password: "pw") }

        var plain = KeyFile.plaintext(key, name: "p")
        plain.publicKey = other.publicKey.hex
        plain.address = other.address.description
        #expect(throws: KeyFileError.tampered("secret does not match publicKey")) { try plain.unlock(password: nil) }

        var hostile = file
        hostile.encryption?.n = 1 << 30
        #expect(throws: KeyFileError.unsupported("scrypt parameters n=\(1 << 30) r=8 p=1")) { try hostile.unlock(password: "pw") }
    }

    @Test("a key file readable by group or others is refused")
    func loosePermissions() throws {
        let path = tempPath("loose.json")
        try KeyFile.plaintext(SigningKey(), name: "loose").write(to: path)
        chmod(path, 0o644)
        #expect(throws: KeyFileError.loosePermissions(path: path, mode: 0o644)) { try KeyFile.read(from: path) }
    }

    @Test("garbage, truncated and oversized files are malformed, not crashes")
    func malformedFiles() throws {
        let path = tempPath("bad.json")
        for content in ["", "{", "{\"version\":1}", String(repeating: "x", count: 70_000)] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600]))
            #expect(throws: KeyFileError.self) { try KeyFile.read(from: path) }
        }
        #expect(throws: KeyFileError.notFound(path + ".missing")) { try KeyFile.read(from: path + ".missing") }
    }
}
