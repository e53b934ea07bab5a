import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage

/// How the ledger's records become API views: the conversions from state records and index rows
/// (`AgoraState`, `AgoraStorage`, `AgoraLedger`) that the view types themselves cannot name, because
/// `AgoraAPIModels` is shared with clients that link neither the state machine nor SQLite. Each
/// delegates to the view's public initialiser (a struct from another module is built through one).

extension API.GroupView {
    init(_ id: Hash, _ g: GroupRecord) {
        self.init(id: id.hex, name: g.name, creator: g.creator.description, createdAt: g.createdAt, policy: PolicyView(g.policy),
                  treasury: g.treasury.units, issued: g.issued.units, admins: g.admins, members: g.members, claims: g.claims)
    }
}

extension API.ClaimView {
    init(_ c: IndexedClaim) {
        self.init(id: c.id.hex, group: c.content.group.hex, author: c.author.description, text: c.content.text, tags: c.content.tags,
                  parent: c.content.parent?.hex, root: c.root.hex,
                  artifacts: c.content.artifacts.map { ArtifactView(sha256: $0.sha256.hex, size: $0.size) },
                  height: c.height, index: c.index, time: c.time, transaction: c.transaction.hex,
                  retracted: c.retraction.map { RetractionView(height: $0.height, reason: $0.reason) },
                  sources: c.content.sources.isEmpty ? nil : c.content.sources.map(\.hex))
    }
}

extension API.ContextItemView {
    init(_ i: BlockStore.ContextItem) {
        self.init(claim: i.claim.id.hex, author: i.claim.author.description, height: i.claim.height, score: i.score, tokens: i.tokens,
                  text: i.claim.content.text, tags: i.claim.content.tags, root: i.claim.root.hex, time: i.claim.time)
    }
}

extension API.IntentView {
    init(_ i: IndexedIntent) {
        self.init(id: i.id.hex, group: i.content.group.hex, author: i.author.description, kind: i.content.kind.name, text: i.content.text,
                  terms: i.content.terms.text, asset: i.content.terms.asset.isEmpty ? nil : i.content.terms.asset,
                  amount: i.content.terms.amount.map { RangeView(min: $0.min, max: $0.max) },
                  price: i.content.terms.price.map { RangeView(min: $0.min, max: $0.max) },
                  deadline: i.content.terms.deadline, bond: i.content.bond.units, status: i.status.name, settlement: i.settlement?.hex,
                  height: i.height, transaction: i.transaction.hex)
    }
}

extension API.SettlementView {
    init(_ s: IndexedSettlement, _ r: SettlementRecord?) {
        let parties = r.map { r in
            r.parties.indices.map { PartyView(address: r.parties[$0].description, intent: r.intents[$0].hex, accepted: r.accepted[$0],
                                              escrow: r.escrow[$0].units) }
        } ?? []
        self.init(id: s.id.hex, group: r?.group.hex, mediator: s.mediator.description, intents: s.proposal.intents.map(\.hex),
                  parties: parties, termsText: s.proposal.termsText, terms: s.proposal.terms.text,
                  payments: s.proposal.payments.map { PaymentView(from: $0.from.description, to: $0.to.description, amount: $0.amount.units) },
                  mediatorFee: s.proposal.mediatorFee.units, acceptBy: s.proposal.acceptBy, challengeWindow: s.proposal.challengeWindow,
                  status: (r?.status ?? s.status).name,
                  finalizeAt: r.flatMap { $0.finalizeAt == 0 ? nil : $0.finalizeAt },
                  challenger: r?.challenger?.description,
                  challengeBond: r.flatMap { $0.challengeBond == .zero ? nil : $0.challengeBond.units },
                  score: s.proposal.score, height: s.height, transaction: s.transaction.hex)
    }
}

extension API.OfferView {
    public init(_ id: Hash, _ o: OfferRecord, royalty: Royalty? = nil) {
        self.init(id: id.hex, seller: o.seller.description, title: o.terms.title,
                  artifact: .init(sha256: o.terms.artifact.sha256.hex, size: o.terms.artifact.size),
                  plaintextSHA256: o.terms.plaintextSHA256.hex, keyCommitment: o.terms.keyCommitment.hex,
                  price: o.terms.price.units, bond: o.terms.bond.units, bondHeld: o.bondHeld.units, expiresAt: o.terms.expiresAt,
                  deliveryWindowMs: o.terms.deliveryWindowMs, disputeWindowMs: o.terms.disputeWindowMs, group: o.terms.group?.hex,
                  status: o.status.description, createdAt: o.createdAt, openPurchases: o.openPurchases, purchases: o.purchases,
                  sales: o.sales, royalty: royalty.map { API.RoyaltyView(claim: $0.claim.hex, bps: $0.bps) })
    }
}

extension API.PurchaseView {
    public init(_ id: Hash, _ p: PurchaseRecord) {
        self.init(id: id.hex, offer: p.offer.hex, buyer: p.buyer.description, seller: p.seller.description, price: p.price.units,
                  buyerKey: p.buyerKey.hex, boughtAt: p.boughtAt, status: p.status.description, dueAt: p.dueAt,
                  delivery: p.delivery.map { DeliveryView(encapsulatedKey: $0.encapsulatedKey.hex, ciphertext: Hex.encode($0.ciphertext)) })
    }
}

extension API.TaskView {
    init(_ t: IndexedTask, headTime: UInt64) {
        func artifactViews(_ refs: [ArtifactRef]) -> [API.ClaimView.ArtifactView] {
            refs.map { API.ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
        }
        self.init(id: t.id.hex, group: t.spec.group.hex, creator: t.creator.description, title: t.spec.title,
                  description: t.spec.description, reward: t.spec.reward.units, deadline: t.spec.deadline,
                  artifacts: artifactViews(t.spec.artifacts), assignee: t.assignee?.description, state: t.state.name,
                  overdue: !t.state.isFinal && t.spec.deadline.map { headTime >= $0 } == true,
                  height: t.height, createdTime: t.createdTime, updatedTime: t.updatedTime, transaction: t.transaction.hex,
                  result: t.result.map { r in ResultView(text: r.text, artifacts: artifactViews(r.artifacts)) },
                  failReason: t.failReason)
    }
}

extension API.BlockView {
    init(_ s: BlockStore.StoredBlock) {
        let h = s.block.header
        self.init(height: h.height, hash: h.hash.hex, chainID: h.chainID, previousHash: h.previousHash.hex, timestamp: h.timestamp,
                  proposer: h.proposer.hex, txRoot: h.txRoot.hex, stateRoot: h.stateRoot.hex, validatorSetHash: h.validatorSetHash.hex,
                  nextValidatorSetHash: h.nextValidatorSetHash.hex, lastCommit: h.lastCommit.map(API.CommitView.init), seal: API.CommitView(s.seal),
                  transactions: s.block.transactions.map(API.TransactionView.init),
                  receipts: zip(s.block.transactions, s.receipts).map { tx, r in
                      ReceiptView(id: tx.id.hex, success: r.succeeded, feePaid: r.feePaid.units,
                                  error: r.failure.map { API.Failure(code: $0.code, message: $0.description) })
                  })
    }
}

extension API.GroupPresenceView.MemberView {
    init(_ m: Presence.MemberPresence) {
        self.init(address: m.address, publicKey: m.publicKey, lastSeen: m.lastSeen, status: m.status, online: m.online, state: m.state)
    }
}
