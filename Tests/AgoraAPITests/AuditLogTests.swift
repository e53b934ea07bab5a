import Foundation
import Testing
import AgoraAPI

@Suite("Audit log")
struct AuditLogTests {
    @Test("the audit log serves its newest records from the tail of a large file")
    func auditTail() throws {
        let path = NSTemporaryDirectory() + "agora-audit-\(UUID().uuidString).log"
        let log = AuditLog(path: path)
        for i in 0..<3_000 { log.record(action: "action \(i)", token: "ops", remote: "127.0.0.1", result: "ok") }
        let recent = log.recent(limit: 5, tailBytes: 4_096)
        #expect(recent.map(\.action) == (2_995..<3_000).reversed().map { "action \($0)" })
        #expect(AuditLog(path: path + ".missing").recent(limit: 5).isEmpty)
    }
}
