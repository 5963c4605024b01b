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
        let code = environment.draw(.code)
        let expires = environment.now() + lifetimeMs
        try await store.createEnrolment(codeHash: Secrets.hash(Secrets.normalizedCode(code)), name: name, post: post, role: role, expiresAt: expires)
        return NewEnrolment(code: code, expiresAt: expires)
    }
}
