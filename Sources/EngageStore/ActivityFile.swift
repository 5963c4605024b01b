import Crypto
import EngageModel
import Foundation

/// Reads an activities file (a JSON array of activities, like `samples/activities.json`).
///
/// An entry without an `id` gets one derived from its contents (a UUID, version 8, made of
/// the SHA-256 of the entry's canonical JSON), so importing the same file again — on a device
/// or at the hub — finds the same activities instead of creating copies. Two identical entries
/// are one activity.
public enum ActivityFile {
    /// Decodes `data`; throws `DecodingError` naming the entry and key when it is not an
    /// activities file.
    public static func decode(_ data: Data) throws -> [Activity] {
        var activities = try JSONDecoder().decode([Activity].self, from: data)
        let given = try JSONDecoder().decode([IDProbe].self, from: data)
        for i in activities.indices where given[i].id == nil {
            activities[i].id = derivedID(activities[i])
        }
        return activities
    }

    /// The id an entry without one gets: the same for the same contents.
    public static func derivedID(_ activity: Activity) -> UUID {
        var canonical = activity
        canonical.id = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(canonical)) ?? Data()
        var b = Array(SHA256.hash(data: json).prefix(16))
        b[6] = b[6] & 0x0F | 0x80  // version 8: a custom, name-based UUID (RFC 9562)
        b[8] = b[8] & 0x3F | 0x80  // the RFC variant
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    private struct IDProbe: Decodable {
        var id: String?
    }
}
