import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where key passwords come from: `AGORA_KEY_PASSWORD`, else a prompt on the terminal with
/// echo off. Never from a flag, which would land in shell history and `ps`.
enum Password {
    static func obtain(prompt: String, confirm: Bool = false) throws -> String {
        if let env = ProcessInfo.processInfo.environment["AGORA_KEY_PASSWORD"] { return env }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError(Exit.invalidInput, "a password is needed: set AGORA_KEY_PASSWORD (no terminal to prompt on)")
        }
        let first = try read(prompt)
        if confirm {
            let second = try read("Repeat password: ")
            guard first == second else { throw CLIError(Exit.invalidInput, "passwords do not match") }
        }
        guard !first.isEmpty else { throw CLIError(Exit.invalidInput, "password must not be empty") }
        return first
    }

    /// Reads a line from the terminal with echo turned off, restoring the terminal afterwards.
    static func read(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var old = termios()
        tcgetattr(STDIN_FILENO, &old)
        var silent = old
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw CLIError(Exit.invalidInput, "no password entered") }
        return line
    }
}
