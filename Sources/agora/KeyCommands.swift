import AgoraCore
import AgoraCrypto
import AgoraNode
import ArgumentParser
import Foundation

struct KeysOption: ParsableArguments {
    @Option(help: "Key directory (default $AGORA_HOME/keys, AGORA_HOME defaulting to ~/.agora). An encrypted key is unlocked with $AGORA_KEY_PASSWORD, else a no-echo prompt.")
    var keys: String?

    var directory: String {
        if let keys { return (keys as NSString).expandingTildeInPath }
        // $HOME first, as every Unix tool does (Foundation's NSHomeDirectory reads the password
        // database on Linux and ignores a changed HOME).
        let env = ProcessInfo.processInfo.environment
        let home = env["AGORA_HOME"] ?? ((env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.agora")
        return (home as NSString).expandingTildeInPath + "/keys"
    }

    /// A path, or the name of a key in the key directory.
    func path(for nameOrPath: String) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") { return nameOrPath }
        return directory + "/" + nameOrPath + ".json"
    }
}

/// Opens a key file, asking for the password only if it is encrypted.
func unlockKey(_ path: String) throws -> SigningKey {
    let file = try KeyFile.read(from: path)
    let password = file.isEncrypted ? try Password.obtain(prompt: "Password for \(file.name): ") : nil
    return try file.unlock(password: password)
}

func validKeyName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        && !name.hasPrefix(".")
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage key files.",
        discussion: """
            Key files are JSON, mode 0600, in the key directory (docs/key-files.md). A password (for encrypting, \
            or for any command that signs with an encrypted key) comes from $AGORA_KEY_PASSWORD, else a no-echo \
            prompt on the terminal; never from a flag.
            """,
        subcommands: [New.self, List.self, Show.self, Encrypt.self, ChangePassword.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new Ed25519 key; prints its address and file.")
        @OptionGroup var keys: KeysOption
        @Option(help: "Key name (file NAME.json in the key directory).") var name: String
        @Flag(help: "Encrypt at rest (password from $AGORA_KEY_PASSWORD or a prompt).") var encrypt = false
        @Option(help: ArgumentHelp(
            "Write the key into this node data directory's agent keys (mcp.keysDir, default <data-dir>/keys) instead of --keys.",
            discussion: "A running node serves it at /mcp?agent=NAME at once, without a restart."))
        var dataDir: String?

        func run() async throws {
            try await runCommand {
                guard validKeyName(name) else { throw CLIError(Exit.invalidInput, "--name must be 1-64 of letters, digits, - _ .") }
                let directory = try await keyDirectory()
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                let key = SigningKey()
                let file = encrypt
                    ? try KeyFile.encrypted(key, name: name, password: try Password.obtain(prompt: "New password: ", confirm: true))
                    : KeyFile.plaintext(key, name: name)
                let path = directory + "/" + name + ".json"
                try file.write(to: path)
                print(key.address)
                print(path)
            }
        }

        /// `--keys`, or with `--data-dir` the directory that node's `/mcp` reads agent keys from.
        /// Writing a new key file there needs no lock: the node only reads it, and files are written
        /// whole (temporary file, fsync, rename).
        func keyDirectory() async throws -> String {
            guard let dataDir else { return keys.directory }
            guard keys.keys == nil else { throw CLIError(Exit.invalidInput, "give --keys or --data-dir, not both") }
            let dir = DataDirectory(dataDir)
            guard FileManager.default.fileExists(atPath: dir.settingsFile) else { throw NodeError.notInitialized(dir.path) }
            let config = try await NodeConfig.load(dataDir: dir)
            return ((config.mcp.keysDir ?? dir.keysDirectory) as NSString).expandingTildeInPath
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key files: name, address, encrypted or not.")
        @OptionGroup var keys: KeysOption

        func run() async throws {
            try await runCommand {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: keys.directory)) ?? []
                for name in names.sorted() where name.hasSuffix(".json") {
                    let path = keys.directory + "/" + name
                    do {
                        let f = try KeyFile.read(from: path)
                        print("\(f.name)\t\(PublicKey(hex: f.publicKey)?.address.description ?? f.address)\t\(f.isEncrypted ? "encrypted" : "plaintext")\t\(path)")
                    } catch {
                        print("\(name)\t-\tunreadable: \(error)\t\(path)")
                    }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a key's address and public key (never the secret).")
        @OptionGroup var keys: KeysOption
        @Argument(help: "Key name or file path.") var key: String

        func run() async throws {
            try await runCommand {
                let path = keys.path(for: key)
                let f = try KeyFile.read(from: path)
                guard let pub = PublicKey(hex: f.publicKey), Address(checkedField: f.address) == pub.address else {
                    throw CLIError(Exit.invalidInput, "key file \(path) has been modified: address does not match publicKey")
                }
                print("name:       \(f.name)")
                print("address:    \(pub.address)")  // Bech32m even when the file holds the old hex form
                print("public key: \(f.publicKey)")
                print("encrypted:  \(f.isEncrypted)")
                print("file:       \(path)")
            }
        }
    }

    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt a plaintext key file in place (scrypt + ChaCha20-Poly1305).",
            discussion: "The new password comes from $AGORA_KEY_PASSWORD, else a no-echo prompt (asked twice). Commands that sign with the key later need the same password, from $AGORA_KEY_PASSWORD or the prompt.")
        @OptionGroup var keys: KeysOption
        @Argument(help: "Key name or file path.") var key: String

        func run() async throws {
            try await runCommand {
                let path = keys.path(for: key)
                let f = try KeyFile.read(from: path)
                guard !f.isEncrypted else { throw CLIError(Exit.invalidInput, "\(path) is already encrypted") }
                let signing = try f.unlock(password: nil)
                let sealed = try KeyFile.encrypted(signing, name: f.name, password: try Password.obtain(prompt: "New password: ", confirm: true))
                try sealed.write(to: path, replace: true)
                print("encrypted \(path)")
            }
        }
    }

    struct ChangePassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an encrypted key's password (old from $AGORA_KEY_PASSWORD or prompt, new from $AGORA_NEW_KEY_PASSWORD or prompt).")
        @OptionGroup var keys: KeysOption
        @Argument(help: "Key name or file path.") var key: String

        func run() async throws {
            try await runCommand {
                let path = keys.path(for: key)
                let f = try KeyFile.read(from: path)
                guard f.isEncrypted else { throw CLIError(Exit.invalidInput, "\(path) is not encrypted: use `agora keys encrypt`") }
                let signing = try f.unlock(password: try Password.obtain(prompt: "Current password: "))
                let newPassword: String
                if let env = ProcessInfo.processInfo.environment["AGORA_NEW_KEY_PASSWORD"] {
                    newPassword = env
                } else {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw CLIError(Exit.invalidInput, "set AGORA_NEW_KEY_PASSWORD (no terminal to prompt on)")
                    }
                    newPassword = try Password.read("New password: ")
                    guard try Password.read("Repeat new password: ") == newPassword else {
                        throw CLIError(Exit.invalidInput, "passwords do not match")
                    }
                }
                try KeyFile.encrypted(signing, name: f.name, password: newPassword).write(to: path, replace: true)
                print("password changed for \(path)")
            }
        }
    }
}
