import AgoraCore

/// Reads an address given on the command line. A bad one exits with `Exit.invalidInput` and a
/// line naming the option and what is wrong (bad checksum, old hex form, …: `AddressError`).
func addressArgument(_ text: String, _ option: String? = nil) throws -> Address {
    do { return try Address.parse(text) } catch {
        throw CLIError(Exit.invalidInput, "\(option.map { $0 + " " } ?? "")\"\(text)\" \(error)")
    }
}
