import Foundation

/// Where a market secret file given on the command line is (`deliver --content-key`,
/// `receive`/`dispute --ephemeral`). `market offer` and `market buy` save these files beside the
/// signing key by default and print only their names' full paths, so a user who passes the
/// printed name from another directory must still be understood: an absolute path is taken as
/// it is; a relative one is looked up in the current directory first (what a shell user means),
/// then in the directory of the `--key` file (where offer and buy put it).
enum SecretFile {
    enum Failure: Error, Equatable, CustomStringConvertible {
        case notFound(option: String, given: String, tried: [String])

        var description: String {
            switch self {
            case let .notFound(option, given, tried):
                return "\(option) \(given): no such file (tried \(tried.joined(separator: " and ")))"
            }
        }
    }

    static func locate(_ given: String, option: String, besideKey keyFile: String,
                       currentDirectory: String = FileManager.default.currentDirectoryPath) throws(Failure) -> String {
        let expanded = (given as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") {
            guard FileManager.default.fileExists(atPath: expanded) else { throw .notFound(option: option, given: given, tried: [expanded]) }
            return expanded
        }
        let keyDirectory = ((keyFile as NSString).expandingTildeInPath as NSString).deletingLastPathComponent
        var tried = [currentDirectory + "/" + expanded]
        if !keyDirectory.isEmpty, keyDirectory != "." {
            let resolved = keyDirectory.hasPrefix("/") ? keyDirectory : currentDirectory + "/" + keyDirectory
            tried.append(resolved + "/" + expanded)
        }
        guard let found = tried.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw .notFound(option: option, given: given, tried: tried)
        }
        return found
    }
}
