import AgoraCore
import Crypto
import CryptoExtras
import Foundation

/// Key files: versioned JSON, mode 0600, the Ed25519 seed either in the clear (dev keys) or
/// sealed with ChaCha20-Poly1305 under a key stretched from a password by scrypt.
///
/// Everything outside the ciphertext (version, public key, KDF parameters) is bound into the
/// AEAD's associated data, so editing any of it makes the file fail to open. A separate password
/// check value lets us say "wrong password" rather than "tampered" when that is what happened.
/// See docs/key-files.md for the format.
public struct KeyFile: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public static let maxFileBytes = 64 * 1024

    public var version: Int
    public var name: String
    public var address: String
    public var publicKey: String
    /// nil for a plaintext key file.
    public var encryption: Encryption?
    /// Hex: the 32-byte seed, or the ciphertext plus 16-byte tag when encrypted.
    public var secret: String

    public struct Encryption: Codable, Sendable, Equatable {
        public var kdf: String
        public var n: Int
        public var r: Int
        public var p: Int
        public var salt: String
        public var cipher: String
        public var nonce: String
        /// Hex SHA-256 of the second half of the scrypt output.
        public var passwordCheck: String
    }

    /// scrypt cost. `standard` is the at-rest default (N=2^17, r=8, p=1: 128 MiB, about a
    /// second in release builds); tests may pass cheaper parameters, which the file records.
    public struct ScryptParameters: Sendable, Equatable {
        public var n: Int, r: Int, p: Int
        public static let standard = ScryptParameters(n: 1 << 17, r: 8, p: 1)
        public init(n: Int, r: Int, p: Int) { self.n = n; self.r = r; self.p = p }

        /// Bounds on what a file may ask for: a hostile file must not make us allocate gigabytes.
        var isAcceptable: Bool {
            n >= 2 && n <= 1 << 20 && n & (n - 1) == 0 && (1...16).contains(r) && (1...4).contains(p)
        }
    }

    public var isEncrypted: Bool { encryption != nil }

    // MARK: Creating

    public static func plaintext(_ key: SigningKey, name: String) -> KeyFile {
        KeyFile(version: currentVersion, name: name, address: key.address.description, publicKey: key.publicKey.hex,
                encryption: nil, secret: Hex.encode(key.seed))
    }

    public static func encrypted(_ key: SigningKey, name: String, password: String,
                                 parameters: ScryptParameters = .standard) throws(KeyFileError) -> KeyFile {
        var salt = [UInt8](repeating: 0, count: 32)
        var nonce = [UInt8](repeating: 0, count: 12)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        for i in nonce.indices { nonce[i] = rng.next() }
        return try sealed(key, name: name, password: password, parameters: parameters, salt: salt, nonce: nonce)
    }

    /// `encrypted` with the salt and nonce given: the client vectors (Tests/vectors/client.json)
    /// need an encrypted file that comes out the same on every run. Never reuse a nonce otherwise.
    static func sealed(_ key: SigningKey, name: String, password: String, parameters: ScryptParameters,
                       salt: [UInt8], nonce: [UInt8]) throws(KeyFileError) -> KeyFile {
        guard !password.isEmpty else { throw .emptyPassword }
        let derived = try deriveKeys(password: password, salt: salt, parameters: parameters)
        var file = KeyFile(version: currentVersion, name: name, address: key.address.description, publicKey: key.publicKey.hex,
                           encryption: Encryption(kdf: "scrypt", n: parameters.n, r: parameters.r, p: parameters.p,
                                                  salt: Hex.encode(salt), cipher: "chacha20-poly1305",
                                                  nonce: Hex.encode(nonce), passwordCheck: Hex.encode(derived.check)),
                           secret: "")
        do {
            let box = try ChaChaPoly.seal(key.seed, using: derived.key, nonce: ChaChaPoly.Nonce(data: nonce),
                                          authenticating: file.associatedData)
            file.secret = Hex.encode(box.ciphertext + box.tag)
        } catch {
            throw .cryptoFailure("\(error)")
        }
        return file
    }

    // MARK: Opening

    /// Returns the signing key. `password` is needed only for encrypted files.
    public func unlock(password: String?) throws(KeyFileError) -> SigningKey {
        guard version == KeyFile.currentVersion else { throw .unsupportedVersion(version) }
        guard let pub = PublicKey(hex: publicKey) else { throw .malformed("publicKey is not 32 hex bytes") }
        // checkedField: files written before addresses were Bech32m hold the old hex form.
        guard Address(checkedField: address) == pub.address else { throw .tampered("address does not match publicKey") }
        guard let secretBytes = Hex.decode(secret) else { throw .malformed("secret is not hex") }
        let seed: [UInt8]
        if let enc = encryption {
            guard let password else { throw .passwordRequired }
            guard enc.kdf == "scrypt" else { throw .unsupported("kdf \(enc.kdf)") }
            guard enc.cipher == "chacha20-poly1305" else { throw .unsupported("cipher \(enc.cipher)") }
            let parameters = ScryptParameters(n: enc.n, r: enc.r, p: enc.p)
            guard parameters.isAcceptable else { throw .unsupported("scrypt parameters n=\(enc.n) r=\(enc.r) p=\(enc.p)") }
            guard let salt = Hex.decode(enc.salt), (16...64).contains(salt.count) else { throw .malformed("salt") }
            guard let nonce = Hex.decode(enc.nonce), nonce.count == 12 else { throw .malformed("nonce") }
            guard let check = Hex.decode(enc.passwordCheck), check.count == 32 else { throw .malformed("passwordCheck") }
            guard secretBytes.count == 32 + 16 else { throw .malformed("secret has \(secretBytes.count) bytes, want 48") }
            let derived = try KeyFile.deriveKeys(password: password, salt: salt, parameters: parameters)
            guard derived.check == check else { throw .wrongPassword }
            do {
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce),
                                                   ciphertext: secretBytes.prefix(32), tag: secretBytes.suffix(16))
                seed = Array(try ChaChaPoly.open(box, using: derived.key, authenticating: associatedData))
            } catch {
                throw .tampered("ciphertext or header failed authentication")
            }
        } else {
            guard secretBytes.count == 32 else { throw .malformed("secret has \(secretBytes.count) bytes, want 32") }
            seed = secretBytes
        }
        let key: SigningKey
        do { key = try SigningKey(seed: seed) } catch { throw .malformed("seed") }
        guard key.publicKey == pub else { throw .tampered("secret does not match publicKey") }
        return key
    }

    /// Everything but the secret, bound into the AEAD so it cannot be edited unnoticed.
    var associatedData: [UInt8] {
        var w = CanonicalWriter()
        w.writeFixed(Array("agora/keyfile/v1".utf8))
        w.write(UInt64(version))
        w.writeString(publicKey.lowercased())
        if let e = encryption {
            w.writeString(e.kdf)
            w.write(UInt64(e.n)); w.write(UInt64(e.r)); w.write(UInt64(e.p))
            w.writeString(e.salt.lowercased())
            w.writeString(e.cipher)
            w.writeString(e.passwordCheck.lowercased())
        }
        return w.bytes
    }

    struct DerivedKeys { let key: SymmetricKey; let check: [UInt8] }

    static func deriveKeys(password: String, salt: [UInt8], parameters: ScryptParameters) throws(KeyFileError) -> DerivedKeys {
        guard parameters.isAcceptable else { throw .unsupported("scrypt parameters") }
        do {
            let out = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 64,
                                               rounds: parameters.n, blockSize: parameters.r, parallelism: parameters.p)
            let bytes = out.withUnsafeBytes { Array($0) }
            return DerivedKeys(key: SymmetricKey(data: bytes[0..<32]), check: Array(SHA256.hash(data: bytes[32..<64])))
        } catch {
            throw .cryptoFailure("scrypt: \(error)")
        }
    }

    // MARK: Files

    /// Reads and parses a key file, refusing group/world-accessible files and oversized input.
    public static func read(from path: String) throws(KeyFileError) -> KeyFile {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .notFound(path) }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .loosePermissions(path: path, mode: mode) }
        guard Int(info.st_size) <= maxFileBytes else { throw .malformed("file is \(info.st_size) bytes, limit \(maxFileBytes)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .notFound(path) }
        do {
            return try JSONDecoder().decode(KeyFile.self, from: data)
        } catch {
            throw .malformed("not a key file: \(error)")
        }
    }

    /// Writes atomically (temp file, fsync, rename) with mode 0600. Refuses to replace an
    /// existing file unless `replace` is set.
    public func write(to path: String, replace: Bool = false) throws(KeyFileError) {
        if !replace, FileManager.default.fileExists(atPath: path) { throw .alreadyExists(path) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw .io(path: path, reason: "\(error)") }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { throw .io(path: tmp, reason: String(cString: strerror(errno))) }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return fsync(fd) == 0
        }
        fchmod(fd, 0o600)
        close(fd)
        guard ok else { unlink(tmp); throw .io(path: tmp, reason: "write failed") }
        guard rename(tmp, path) == 0 else { unlink(tmp); throw .io(path: path, reason: String(cString: strerror(errno))) }
    }
}

public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case alreadyExists(String)
    case loosePermissions(path: String, mode: Int)
    case malformed(String)
    case unsupportedVersion(Int)
    case unsupported(String)
    case passwordRequired
    case emptyPassword
    case wrongPassword
    case tampered(String)
    case cryptoFailure(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(p): return "key file not found: \(p)"
        case let .alreadyExists(p): return "key file already exists: \(p)"
        case let .loosePermissions(p, m):
            return "key file \(p) has mode \(String(m, radix: 8)); it must not be readable by group or others (chmod 600)"
        case let .malformed(why): return "malformed key file: \(why)"
        case let .unsupportedVersion(v): return "unsupported key file version \(v)"
        case let .unsupported(what): return "unsupported key file setting: \(what)"
        case .passwordRequired: return "key file is encrypted: set AGORA_KEY_PASSWORD or enter the password"
        case .emptyPassword: return "password must not be empty"
        case .wrongPassword: return "wrong password for key file"
        case let .tampered(why): return "key file has been modified: \(why)"
        case let .cryptoFailure(why): return "key file crypto failure: \(why)"
        case let .io(p, why): return "cannot write key file \(p): \(why)"
        }
    }
}
