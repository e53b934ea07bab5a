import Foundation

/// Public test vectors, carried in the repository beside this file (`Vectors/`, sources and
/// licences in `Vectors/README.md`) so that a fresh clone runs them with nothing beside it.
enum Vectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Vectors")

    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(relative))
    }
}
