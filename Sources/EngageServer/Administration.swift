import EngageModel
import EngageStorage
import Foundation

/// Administration that runs against the database, also while the server runs on it.
public enum Administration {
    public struct NewEnrolment: Sendable {
        public var code: String
        public var expiresAt: Int64
    }

    public static func createEnrolment(
        store: any HubStorage, name: String, post: String, role: DeviceRecord.Role, environment: ServerEnvironment = .system,
        lifetimeMs: Int64 = 72 * 3_600_000
    ) async throws -> NewEnrolment {
        // The name is shown in `devices list`, in history and on conflicts: one line, plain text.
        do { try TextRules.checkLine("name", name, maxLength: TextRules.maxPartner) } catch {
            throw StoreError(.invalid, error.message)
        }
        let code = environment.draw(.code)
        let expires = environment.now() + lifetimeMs
        try await store.createEnrolment(
            codeHash: Secrets.codeDigest(code), name: name, post: post, role: role, expiresAt: expires)
        return NewEnrolment(code: code, expiresAt: expires)
    }
}
