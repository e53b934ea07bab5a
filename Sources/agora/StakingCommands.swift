import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import ArgumentParser
import Foundation

/// `agora tx validator …` and `agora query validators`: the staking module from the command
/// line. Each transaction subcommand builds one payload and goes through `submit`, like
/// `agora tx transfer`.
extension Tx {
    struct ValidatorTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validator", abstract: "Validator set, bonds, key rotation and double-sign evidence.",
            subcommands: [Update.self, Bond.self, Unbond.self, RotateKey.self, Evidence.self])

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set a validator's power from two heights on (0 removes it). Staking admin only.")
            @OptionGroup var options: TxOptions
            @Option(help: "The validator's Ed25519 public key (64 hex digits).") var publicKey: String
            @Option(help: "Voting power; 0 removes the validator.") var power: UInt64

            func run() async throws {
                try await runCommand {
                    guard let key = PublicKey(hex: publicKey) else { throw CLIError(Exit.invalidInput, "--public-key is not 64 hex digits") }
                    guard power <= Limits.maxTotalVotingPower else {
                        throw CLIError(Exit.invalidInput, "--power is above \(Limits.maxTotalVotingPower)")
                    }
                    try await submit(.validatorUpdate(publicKey: key, power: power), options: options)
                }
            }
        }

        struct Bond: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move balance into the bond of the sender's key.")
            @OptionGroup var options: TxOptions
            @Option(help: "Amount in base units.") var amount: UInt64

            func run() async throws {
                try await runCommand { try await submit(.bond(amount: try positive(amount)), options: options) }
            }
        }

        struct Unbond: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Move part of the sender key's bond back to its balance (locked below the minimum while a validator).")
            @OptionGroup var options: TxOptions
            @Option(help: "Amount in base units.") var amount: UInt64

            func run() async throws {
                try await runCommand { try await submit(.unbond(amount: try positive(amount)), options: options) }
            }
        }

        struct RotateKey: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rotate-key",
                abstract: "Hand the sender validator's power and bond to a new key from two heights on; the new key signs a proof.")
            @OptionGroup var options: TxOptions
            @Option(help: "The new key: a name in the key directory or a file path (never bonded or validated before).")
            var newKey: String

            func run() async throws {
                try await runCommand {
                    let new = try unlockKey(options.keys.path(for: newKey))
                    try await submit(options: options) { chainID, sender in
                        .rotateValidatorKey(newKey: new.publicKey, proof: new.sign(KeyRotation.message(chainID: chainID, oldKey: sender)))
                    }
                }
            }
        }

        struct Evidence: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit proof of a double sign (fee 0): slashes and removes the validator.")
            @OptionGroup var options: TxOptions
            @Option(help: "Hex of the canonical DuplicateVoteEvidence bytes, or @path of a file holding it.") var evidence: String

            func run() async throws {
                try await runCommand {
                    var text = evidence
                    if text.hasPrefix("@") {
                        guard let data = FileManager.default.contents(atPath: String(text.dropFirst())) else {
                            throw CLIError(Exit.invalidInput, "cannot read \(text.dropFirst())")
                        }
                        text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    }
                    guard let raw = Hex.decode(text) else { throw CLIError(Exit.invalidInput, "--evidence is not hex") }
                    let decoded: DuplicateVoteEvidence
                    do { decoded = try DuplicateVoteEvidence(canonicalBytes: raw) } catch {
                        throw CLIError(Exit.invalidInput, "--evidence does not decode: \(error)")
                    }
                    try await submit(.evidence(decoded), options: options, zeroFee: true)
                }
            }
        }
    }
}

private func positive(_ amount: UInt64) throws -> Amount {
    guard let value = Amount(amount), value > .zero else { throw CLIError(Exit.invalidInput, "--amount must be 1…2^63-1") }
    return value
}

extension Query {
    struct ValidatorsQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validators", abstract: "The sets signing the next two heights, bonds, standing and the staking admin.")
        @OptionGroup var node: NodeOption

        func run() async throws {
            try await runCommand { printJSON(try await node.client.get("/api/v1/validators", as: API.ValidatorsView.self)) }
        }
    }
}
