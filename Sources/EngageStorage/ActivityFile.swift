import EngageCore
import EngageModel
import Foundation

/// Reads an activities file (a JSON array of activities, like `samples/activities.json`).
///
/// An entry without an `id` gets one derived from its contents (a UUID, version 8, made of
/// the SHA-256 of the entry's canonical JSON), so importing the same file again — on a device
/// or at the hub — finds the same activities instead of creating copies. Two identical entries
/// are one activity.
public enum ActivityFile {
    /// Checks activities a hub is asked to import: each must pass the model's rules and have a
    /// post (every activity on the server belongs to one). Throws `invalid_value` naming the first
    /// that does not; nothing is imported then.
    public static func checkImportable(_ activities: [Activity]) throws(StoreError) {
        for (index, activity) in activities.enumerated() {
            do { try activity.validate() } catch {
                throw StoreError(.invalid, "activity \(index + 1): \(error.message); nothing was imported")
            }
            if activity.post.isEmpty {
                throw StoreError(.invalid, "activity \(index + 1) has no post; every activity on the server belongs to a post")
            }
        }
    }

    /// Decodes `data`; throws `DecodingError` naming the entry and key when it is not an
    /// activities file.
    public static func decode(_ data: Data) throws -> [Activity] {
        var activities = try JSONDecoder().decode([Activity].self, from: data)
        let given = try JSONDecoder().decode([IDProbe].self, from: data)
        for i in activities.indices where given[i].id == nil {
            activities[i].id = derivedID(activities[i])
        }
        // One id is one activity: identical entries are one; two different ones under one id
        // are refused, naming both, rather than the second silently taken as "already present".
        var seen: [UUID: Int] = [:], unique: [Activity] = []
        for (i, a) in activities.enumerated() {
            if let j = seen[a.id] {
                guard activities[j] == a else {
                    throw DecodingError.dataCorrupted(.init(
                        codingPath: [IndexKey(i)],
                        debugDescription: "entries [\(j)] and [\(i)] have the same id \(a.id.uuidString.lowercased()) with different contents; "
                            + "give each activity its own id (or leave the id out)"))
                }
                continue
            }
            seen[a.id] = i
            unique.append(a)
        }
        return unique
    }

    /// The id an entry without one gets: the same for the same contents.
    public static func derivedID(_ activity: Activity) -> UUID {
        var canonical = activity
        canonical.id = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = String(decoding: (try? encoder.encode(canonical)) ?? Data(), as: UTF8.self)
        // The keys added in 1.1 are left out at their defaults, so an entry that does not use
        // them keeps the id earlier versions derived for it (importing again finds it).
        for key in ["\"amount\":null,", "\"datePrecision\":\"day\",", "\"otherCountries\":[],"] {
            if let range = json.range(of: key) { json.removeSubrange(range) }
        }
        return UUID.nameBased(Data(json.utf8))
    }

    private struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private struct IDProbe: Decodable {
        var id: String?
    }
}
