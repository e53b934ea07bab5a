// StateProofJSON owns the wire bytes of a state proof answer: `API.StateProofView` as JSON,
// written field by field in the view's declared order, without building the view's strings or
// going through JSONEncoder. An answer is a key's part (key, height, value, proof and its
// mirror) and its height's part (state root, header, header hash, commit bytes and commit
// JSON), which every key at that height shares: `HeightPart` is written once per height and
// kept by the server (`ProofAnswerCache`), so serving a proof hex-encodes only what is the key's.
// The bytes decode to the same `StateProofView` that `init(key:height:value:proof:header:commit:)`
// builds (tests hold both to it).

import AgoraCore

extension API {
    public enum StateProofJSON {
        /// The bytes of an answer that depend only on its height: nothing in them can change once
        /// the height is committed (its header and the commit that finalised it).
        public struct HeightPart: Sendable, Equatable {
            public let height: UInt64
            /// `"stateRoot":"<hex>",` — between the key's value and its proof.
            let stateRoot: [UInt8]
            /// `"header":…,"headerHash":…,"commitBytes":…,"commit":{…}}` — the answer's end.
            let tail: [UInt8]

            public init(header: BlockHeader, commit: Commit) {
                height = header.height
                var root = JSONBytes()
                root.field("stateRoot", first: true)
                root.hex(header.stateRoot)
                stateRoot = root.bytes
                var t = JSONBytes()
                t.field("header", first: true)
                t.hex(header.canonicalBytes)
                t.field("headerHash")
                t.hex(header.hash)
                t.field("commitBytes")
                t.hex(commit.canonicalBytes)
                t.field("commit")
                t.commit(commit)
                t.raw("}")
                tail = t.bytes
            }

            /// Bytes held (for bounding the cache by memory).
            public var byteCount: Int { stateRoot.count + tail.count }
        }

        /// The whole answer for `key` at `part.height`; `proofBytes` is `proof.canonicalBytes`
        /// (the caller has it already, for its metrics).
        public static func answer(key: [UInt8], value: [UInt8]?, proof: StateProof, proofBytes: [UInt8], part: HeightPart) -> [UInt8] {
            var out = JSONBytes(capacity: 256 + part.byteCount + (key.count + (value?.count ?? 0) + proofBytes.count) * 2 + proof.siblings.count * 70)
            out.raw("{")
            out.field("key", first: true)
            out.hex(key)
            out.field("height")
            out.number(part.height)
            if let value {
                out.field("value")
                out.hex(value)
            }
            out.raw(",")
            out.append(part.stateRoot)
            out.field("proof")
            out.hex(proofBytes)
            out.field("siblings")
            out.siblings(proof.siblings)
            out.field("terminal")
            switch proof.terminal {
            case .empty: out.string("empty")
            case .leaf: out.string("leaf")
            case let .otherLeaf(k, v):
                out.string("otherLeaf")
                out.field("otherKeyHash")
                out.hex(k)
                out.field("otherValueHash")
                out.hex(v)
            }
            out.raw(",")
            out.append(part.tail)
            return out.bytes
        }
    }
}

/// A JSON text under construction, for the few value shapes an answer holds: ASCII field names,
/// hex strings, unsigned numbers, null. Nothing here needs escaping.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// `"name":`, preceded by a comma unless it is the object's first field.
    mutating func field(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ text: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(text)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A lowercase hex string of `data`, quoted (what `Hex.encode` gives).
    mutating func hex(_ data: [UInt8]) {
        data.withUnsafeBytes { hex(raw: $0) }
    }

    /// A hash as quoted lowercase hex, from its words (no byte array in between).
    mutating func hex(_ hash: Hash) {
        let s = hash.storage
        var words = (s.w0.bigEndian, s.w1.bigEndian, s.w2.bigEndian, s.w3.bigEndian)
        withUnsafeBytes(of: &words) { hex(raw: $0) }
    }

    /// Writes the quoted hex into a buffer of its exact size, appended in one copy: element by
    /// element appends through generic sequences cost most of an answer in a debug build.
    private mutating func hex(raw: UnsafeRawBufferPointer) {
        let n = raw.count
        let chunk = [UInt8](unsafeUninitializedCapacity: 2 * n + 2) { out, count in
            let o = out.baseAddress!
            o[0] = UInt8(ascii: "\"")
            var i = 0
            while i < n {
                let b = raw[i]
                o[1 + 2 * i] = Self.digit(b >> 4)
                o[2 + 2 * i] = Self.digit(b & 0x0f)
                i += 1
            }
            o[1 + 2 * n] = UInt8(ascii: "\"")
            count = 2 * n + 2
        }
        bytes.append(contentsOf: chunk)
    }

    @inline(__always)
    private static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    mutating func number(_ n: some BinaryInteger) {
        bytes.append(contentsOf: String(n).utf8)
    }

    /// The proof's siblings from the root down: hex hashes, null for an empty subtree.
    mutating func siblings(_ hashes: [Hash?]) {
        bytes.append(UInt8(ascii: "["))
        for (i, h) in hashes.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            if let h { hex(h) } else { raw("null") }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `API.CommitView` of `c`, field by field.
    mutating func commit(_ c: Commit) {
        raw("{")
        field("height", first: true)
        number(c.height)
        field("round")
        number(c.round)
        field("blockHash")
        hex(c.blockHash)
        field("signatures")
        raw("[")
        for (i, s) in c.signatures.enumerated() {
            if i > 0 { raw(",") }
            raw("{")
            field("validator", first: true)
            hex(s.validator.bytes)
            field("signature")
            hex(s.signature.bytes)
            raw("}")
        }
        raw("]}")
    }
}
