import EngageModel
import EngageResources
import Foundation

/// Reference data shipped with Engage (`samples/`), for a new database of either kind.
public enum BundledData {
    /// The partner registry of `samples/partners.json`. Throws if the bundle is damaged.
    public static func partners() throws -> [Partner] {
        let url = EngageResources.samplesDirectory.appendingPathComponent("partners.json")
        return try JSONDecoder().decode([Partner].self, from: Data(contentsOf: url))
    }
}
