import Testing
@testable import AgoraCore

@Suite("Canonical codec")
struct CodecTests {
    @Test("every ledger type round-trips through its canonical bytes", arguments: 0..<200)
    func roundTrips(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed))
        let tx = Fixtures.transaction(&r)
        #expect(try Transaction(bytes: tx.bytes) == tx)
        #expect(try Transaction(bytes: tx.bytes).body == tx.body)
        let payload = Fixtures.payload(&r)
        #expect(try Payload(canonicalBytes: payload.canonicalBytes) == payload)
        let commit = Fixtures.commit(&r)
        #expect(try Commit(canonicalBytes: commit.canonicalBytes) == commit)
        let block = Fixtures.block(&r)
        let decoded = try Block(canonicalBytes: block.canonicalBytes)
        #expect(decoded == block)
        #expect(decoded.hash == block.hash)
        #expect(decoded.transactions.map(\.id) == block.transactions.map(\.id))
        let amount = Fixtures.amount(&r)
        #expect(try Amount(canonicalBytes: amount.canonicalBytes) == amount)
        let address = Fixtures.address(&r)
        #expect(try Address(canonicalBytes: address.canonicalBytes) == address)
        #expect(Address(address.description) == address)
        let set = try ValidatorSet([Validator(publicKey: Fixtures.key(&r), power: 3), Validator(publicKey: Fixtures.key(&r), power: 1)])
        #expect(try ValidatorSet(canonicalBytes: set.canonicalBytes) == set)
    }

    @Test("trailing bytes are rejected")
    func trailingBytes() throws {
        var r = SeededRandom(seed: 1)
        let tx = Fixtures.transaction(&r)
        #expect(throws: CodecError.trailingBytes(type: "transaction", count: 1)) { try Transaction(bytes: tx.bytes + [0]) }
        #expect(throws: CodecError.trailingBytes(type: "Amount", count: 2)) { try Amount(canonicalBytes: [1, 0, 0, 0, 0, 0, 0, 0, 9, 9]) }
    }

    @Test("truncated input names the field that ran out")
    func truncated() throws {
        var r = SeededRandom(seed: 2)
        let tx = Fixtures.transaction(&r)
        for cut in [0, 1, 10, tx.bytes.count - 1] {
            #expect(throws: CodecError.self) { try Transaction(bytes: Array(tx.bytes.prefix(cut))) }
        }
        do {
            _ = try Transaction(bytes: Array(tx.bytes.dropLast(3)))
            Issue.record("decoded a truncated transaction")
        } catch let CodecError.truncated(field, needed, remaining) {
            #expect(field == "signature")
            #expect(needed == 64)
            #expect(remaining == 61)
        }
    }

    @Test("unknown enum tags and versions are rejected")
    func unknownTags() throws {
        #expect(throws: CodecError.unknownTag(type: "payload", tag: 99)) { try Payload(canonicalBytes: [99]) }
        var r = SeededRandom(seed: 3)
        var bytes = Fixtures.transaction(&r).bytes
        bytes[0] = 2
        #expect(throws: CodecError.unknownTag(type: "tx.version", tag: 2)) { try Transaction(bytes: bytes) }
    }

    @Test("lengths above the limit are rejected before allocation")
    func overLimitLengths() throws {
        var w = CanonicalWriter()
        w.write(UInt8(Payload.Tag.transfer.rawValue))
        w.writeFixed([UInt8](repeating: 1, count: 20))
        w.write(UInt64(5))
        w.write(UInt32(1_000_000)) // memo length far above 256, with no bytes behind it
        #expect(throws: CodecError.lengthOverLimit(field: "transfer.memo", length: 1_000_000, limit: Limits.maxMemoBytes)) {
            try Payload(canonicalBytes: w.bytes)
        }
        var block = CanonicalWriter()
        var r = SeededRandom(seed: 4)
        block.write(Fixtures.block(&r, transactions: 0).header)
        block.write(UInt32.max)
        #expect(throws: CodecError.lengthOverLimit(field: "block.transactions", length: Int(UInt32.max), limit: Limits.maxTransactionsPerBlock)) {
            try Block(canonicalBytes: block.bytes)
        }
        let big = [UInt8](repeating: 0, count: Limits.maxTransactionBytes + 1)
        #expect(throws: CodecError.lengthOverLimit(field: "transaction", length: big.count, limit: Limits.maxTransactionBytes)) {
            try Transaction(bytes: big)
        }
    }

    @Test("non-canonical forms are rejected")
    func nonCanonical() throws {
        // Amount above 2^63-1.
        #expect(throws: CodecError.nonCanonical(field: "amount", reason: "\(UInt64.max) above 2^63-1")) {
            try Amount(canonicalBytes: [UInt8](repeating: 0xff, count: 8))
        }
        // Option tag other than 0 or 1.
        var r = SeededRandom(seed: 5)
        var header = Fixtures.block(&r, transactions: 0).header
        header.lastCommit = nil
        var bytes = header.canonicalBytes
        bytes[bytes.count - 1] = 2
        #expect(throws: CodecError.nonCanonical(field: "header.lastCommit", reason: "option tag 2")) { try BlockHeader(canonicalBytes: bytes) }
        // Invalid UTF-8 in a memo.
        var w = CanonicalWriter()
        w.write(Payload.Tag.transfer.rawValue)
        w.writeFixed([UInt8](repeating: 1, count: 20))
        w.write(UInt64(5))
        w.writeBytes([0xff, 0xfe])
        #expect(throws: CodecError.nonCanonical(field: "transfer.memo", reason: "invalid UTF-8")) { try Payload(canonicalBytes: w.bytes) }
        // Commit signatures out of order.
        let a = CommitSignature(validator: PublicKey(bytes: [UInt8](repeating: 1, count: 32))!, signature: .empty)
        let b = CommitSignature(validator: PublicKey(bytes: [UInt8](repeating: 2, count: 32))!, signature: .empty)
        var c = CanonicalWriter()
        c.write(UInt64(1)); c.write(UInt32(0)); c.write(Hash.zero); c.write(UInt32(2)); c.write(b); c.write(a)
        #expect(throws: CodecError.nonCanonical(field: "commit.signatures", reason: "not strictly sorted by validator")) {
            try Commit(canonicalBytes: c.bytes)
        }
        // A chain ID with characters outside the allowed set.
        var t = CanonicalWriter()
        t.write(UInt8(1)); t.writeString("Bad Chain")
        #expect(throws: CodecError.nonCanonical(field: "tx.chainID", reason: "chain ID must be 1-64 of a-z 0-9 . _ -")) {
            try TransactionBody(canonicalBytes: t.bytes)
        }
    }

    @Test("a transaction ID is the hash of its exact bytes and changes with any field")
    func transactionID() throws {
        var r = SeededRandom(seed: 6)
        let tx = Fixtures.transaction(&r)
        #expect(tx.id == Hash.sha256(tx.bytes))
        var body = tx.body
        body.nonce &+= 1
        #expect(Transaction(body: body, signature: tx.signature).id != tx.id)
    }
}

@Suite("Primitives")
struct PrimitiveTests {
    @Test("addresses are Bech32m (ag1…) of the first 20 bytes of SHA-256(public key)")
    func addresses() throws {
        let key = PublicKey(bytes: [UInt8](repeating: 7, count: 32))!
        let text = key.address.description
        #expect(text.hasPrefix("ag1"))
        #expect(text.count == 41)
        #expect(Hash.sha256(key.bytes).hex.hasPrefix(Hex.encode(try Address.parse(text).bytes)))
        #expect(Address(text) == key.address)
        #expect(Address(text.uppercased()) == key.address)
        let legacy = "ag1" + Hex.encode(key.address.bytes)
        for bad in ["", "ag1", "ag2" + String(text.dropFirst(3)), text + "q", String(text.dropLast()), legacy,
                    "ag1" + String(repeating: "g", count: 40), "AG1" + String(text.dropFirst(3))] {
            #expect(Address(bad) == nil, "accepted \(bad)")
        }
    }

    @Test("amount arithmetic is checked and never exceeds 2^63-1")
    func amounts() throws {
        #expect(Amount(UInt64(Int64.max)) == .max)
        #expect(Amount(UInt64(Int64.max) + 1) == nil)
        #expect(throws: Amount.ArithmeticError.self) { try Amount.max.adding(Amount(1)!) }
        #expect(throws: Amount.ArithmeticError.self) { try Amount.zero.subtracting(Amount(1)!) }
        #expect(try Amount(5)!.adding(Amount(7)!) == Amount(12)!)
        #expect(Amount(10_000)!.basisPoints(25) == Amount(25)!)
        #expect(Amount(9_999)!.basisPoints(1) == .zero)
        #expect(Amount.max.basisPoints(10_000) == .max)
        #expect(Amount.max.basisPoints(60_000) == .max, "basis points are capped at 100%")
    }

    @Test("hex decoding rejects odd lengths and non-hex characters")
    func hex() {
        #expect(Hex.decode("0aFf") == [0x0a, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0, 255, 16]) == "00ff10")
    }

    @Test("Merkle root separates leaves from inner nodes and promotes odd nodes")
    func merkle() {
        let a = Hash.sha256([1]), b = Hash.sha256([2]), c = Hash.sha256([3])
        let la = Hash.sha256(parts: [[0], a.bytes]), lb = Hash.sha256(parts: [[0], b.bytes]), lc = Hash.sha256(parts: [[0], c.bytes])
        #expect(Merkle.root([]) == Hash.sha256([UInt8]()))
        #expect(Merkle.root([a]) == la)
        let ab = Hash.sha256(parts: [[1], la.bytes, lb.bytes])
        #expect(Merkle.root([a, b]) == ab)
        #expect(Merkle.root([a, b, c]) == Hash.sha256(parts: [[1], ab.bytes, lc.bytes]))
        #expect(Merkle.root([a, b, c]) != Merkle.root([a, b, c, c]), "duplicating the last leaf must change the root")
        #expect(Merkle.root([a, b]) != Merkle.root([b, a]))
    }

    @Test("validator sets are sorted, unique and non-zero")
    func validatorSets() throws {
        let k1 = PublicKey(bytes: [UInt8](repeating: 1, count: 32))!
        let k2 = PublicKey(bytes: [UInt8](repeating: 2, count: 32))!
        let set = try ValidatorSet([Validator(publicKey: k2, power: 1), Validator(publicKey: k1, power: 2)])
        #expect(set.validators.map(\.publicKey) == [k1, k2])
        #expect(set.totalPower == 3)
        #expect(throws: ValidatorSet.Invalid.duplicate(k1)) { try ValidatorSet([Validator(publicKey: k1, power: 1), Validator(publicKey: k1, power: 1)]) }
        #expect(throws: ValidatorSet.Invalid.zeroPower(k1)) { try ValidatorSet([Validator(publicKey: k1, power: 0)]) }
        #expect(throws: ValidatorSet.Invalid.empty) { try ValidatorSet([]) }
    }
}
