import Foundation

/// The project's data files, bundled from the top-level `schema/` and `samples/` folders.
public enum EngageResources {
    /// The folder holding the numbered SQL migrations (`schema/`).
    public static var schemaDirectory: URL { Bundle.module.url(forResource: "schema", withExtension: nil)! }
    /// The folder holding the sample data (`samples/`).
    public static var samplesDirectory: URL { Bundle.module.url(forResource: "samples", withExtension: nil)! }
}
