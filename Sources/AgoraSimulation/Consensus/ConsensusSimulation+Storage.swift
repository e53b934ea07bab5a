// The consensus simulator's storage side (`--storage-faults`): what a crash does to a node's
// journal and block store, what a restart must prove before the node signs again, and how a node
// serves decisions from a disk that may return damaged records. The invariant checked: no honest
// node signs on a journal it cannot prove, nor serves a block it cannot prove.
import AgoraConsensus
import AgoraCore
import AgoraCrypto

extension ConsensusSimulation {
    /// The disk side of a crash: unsynced tails lost, maybe a record damaged.
    mutating func storageCrash(_ i: Int) {
        if let journal = nodes[i].journal {
            let (lost, corrupted) = journal.crash()
            report.storage.journalRecordsLost += lost
            if corrupted { report.storage.corruptionsInjected += 1 }
        }
        if nodes[i].blockLog != nil {
            let (lost, corrupted) = nodes[i].blockLog!.crash()
            report.storage.blockRecordsLost += lost
            if corrupted { report.storage.corruptionsInjected += 1 }
        }
    }

    /// Reloads the chain from the block store (up to the first record that does not prove
    /// itself), loads and verifies the journal, and raises the guard to the consensus WAL.
    /// False when the node stays down: its journal is damaged (for good), or raising the guard
    /// could not be written (it tries again shortly).
    mutating func storageRestart(_ i: Int) -> Bool {
        let records = nodes[i].blockLog?.records ?? []
        let chain = verifiedChain(records)
        if chain.count < records.count {
            report.storage.blockRecordsDropped += records.count - chain.count
            nodes[i].blockLog?.truncate(to: chain.count)
        }
        if chain.count < nodes[i].chain.count { nodes[i].lostCommitted = true }
        nodes[i].chain = chain
        do {
            try nodes[i].restart(verifyingJournal: config.verifiesJournal)
        } catch {
            report.storage.journalsRefused += 1
            nodes[i].refusedStart = true
            return false
        }
        guard config.checksWAL else { return true }
        let before = nodes[i].signer.last?.position
        for entry in nodes[i].wal {
            do { try nodes[i].signer.adopt(signBytes: entry.signBytes, signature: entry.signature) } catch {
                report.storage.writeFailures += 1
                nodes[i].up = false
                queue.push(at: now + 200, .restart(i))
                return false
            }
        }
        if nodes[i].signer.last?.position != before { report.storage.guardsRaisedFromWAL += 1 }
        return true
    }

    /// Appends a decided block to the node's block store; a failed write stops the node (as a
    /// node whose commit cannot be stored must), and it restarts shortly after.
    mutating func persistDecided(_ i: Int, _ block: Block, _ commit: Commit) {
        guard nodes[i].blockLog != nil else { return }
        do {
            try nodes[i].blockLog!.append(ConsensusMessage.decision(block, commit).canonicalBytes)
        } catch {
            failStop(i)
        }
    }

    /// A write that failed stops the node (the node's driver halts signing when its journal
    /// cannot be written; a commit that cannot be stored stops it too); it restarts 0.2–1 s
    /// later. Without the restart an engine that believes it voted would withhold that vote
    /// for good.
    mutating func failStop(_ i: Int) {
        report.storage.writeFailures += 1
        queue.push(at: now, .crash(i))
        queue.push(at: now + 200 + rng.next() % 800, .restart(i))
    }

    /// Serves the decision at `height` as read from the block store; a record that does not
    /// prove itself is refused (and counted), never sent, and the node stops — as a node that
    /// meets corruption at run time must — and restarts from what proves itself, fetching the
    /// rest from its peers. The monitor checks what is sent.
    mutating func serveFromDisk(from i: Int, to peer: Int, height: UInt64) {
        let index = Int(height) - 1
        guard let records = nodes[i].blockLog?.records, index < records.count else { return }
        let parent = index == 0 ? Hash.zero : nodes[i].chain[index - 1].hash
        guard let decided = verifiedRecord(records[index], height: height, parent: parent) else {
            report.storage.readsRefused += 1
            queue.push(at: now, .crash(i))
            queue.push(at: now + 200 + rng.next() % 800, .restart(i))
            return
        }
        monitor.honestServed(node: i, height: height, block: decided.hash)
        send(from: i, to: peer, records[index])
    }

    /// The longest prefix of `records` that proves itself, as a chain.
    mutating func verifiedChain(_ records: [[UInt8]]) -> [SimNode.Decided] {
        var chain: [SimNode.Decided] = []
        for record in records {
            guard let decided = verifiedRecord(record, height: UInt64(chain.count) + 1, parent: chain.last?.hash ?? .zero) else { break }
            chain.append(decided)
        }
        return chain
    }

    /// A block-store record proves itself when it decodes as a decision at `height` on
    /// `parent` whose commit is for this block and carries +2/3 of the power in valid signatures.
    mutating func verifiedRecord(_ bytes: [UInt8], height: UInt64, parent: Hash) -> SimNode.Decided? {
        guard case let .decision(block, commit)? = try? ConsensusMessage(canonicalBytes: bytes) else { return nil }
        let hash = block.hash
        guard block.header.height == height, block.header.previousHash == parent, commit.height == height,
              commit.blockHash == hash else { return nil }
        let vote = commit.vote(chainID: ConsensusSimulation.chainID)
        var signers: Set<PublicKey> = []
        for s in commit.signatures where validatorSet.contains(s.validator) && isValid(s.signature, of: vote.signingBytes, by: s.validator) {
            signers.insert(s.validator)
        }
        guard VotingPower.exceedsTwoThirds(UInt64(signers.count) * ConsensusSimulation.power, of: UInt64(config.validators) * ConsensusSimulation.power) else { return nil }
        return SimNode.Decided(block: block, hash: hash, commit: commit)
    }
}
