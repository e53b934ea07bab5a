/// What a new validator key signs to show that whoever rotates to it holds it: without this
/// proof a validator could "rotate" onto someone else's key and make them answerable for its
/// votes. The message names the chain and the old key, so a proof cannot be replayed on another
/// chain or by another validator, and its domain tag keeps it from ever being a valid vote or
/// transaction signature.
public enum KeyRotation {
    public static let domain = Array("agora/rotate/v1\u{0}".utf8)

    /// `agora/rotate/v1\0` ‖ chainID (u32-length-prefixed) ‖ old key (32 bytes).
    public static func message(chainID: String, oldKey: PublicKey) -> [UInt8] {
        var w = CanonicalWriter(capacity: 128)
        w.writeFixed(domain)
        w.writeString(chainID)
        w.write(oldKey)
        return w.bytes
    }
}
