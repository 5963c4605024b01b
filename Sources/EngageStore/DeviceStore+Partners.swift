import EngageCore
import EngageModel
import EngageReplica
import EngageResources
import EngageStorage
import Foundation
import GRDB

extension DeviceStore {
    public func partners(country: Country? = nil) throws(StoreError) -> [Partner] {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT code, name, country, agency_type, aliases FROM partner WHERE ?1 IS NULL OR country = ?1 ORDER BY country, code",
                arguments: [country?.code])
            return rows.compactMap(SQLiteStore.partner(from:))
        }
    }

    public func partnerRegistry() throws(StoreError) -> PartnerRegistry { PartnerRegistry(try partners()) }

    /// Replaces the local copy of the partner registry.
    public func loadPartners(_ partners: [Partner]) throws(StoreError) {
        try write { db in try Self.insertPartners(db, partners) }
    }

    static func insertPartners(_ db: Database, _ partners: [Partner]) throws {
        for p in partners {
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO partner (code, name, country, agency_type, aliases) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [p.code, p.name, p.country.code, p.agencyType, PartnerFields.aliasesJSON(p.aliases)])
        }
    }

    /// The registry shipped in `samples/partners.json` (`BundledData.partners`).
    public static func bundledPartners() throws -> [Partner] { try BundledData.partners() }
}
