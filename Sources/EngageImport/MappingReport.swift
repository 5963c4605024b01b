import EngageModel
import Foundation

/// What an importer made of each source record: the activity it mapped to, and per field
/// whether the value was taken as given (`mapped`), inferred by a stated rule (`guessed`), or
/// not taken (`skipped`), with the reason. A record skipped whole says why and has no activity.
public struct MappingReport: Sendable, Codable {
    public struct Note: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case mapped, guessed, skipped }
        public var kind: Kind
        /// The activity field ("title", "startDate", …), or "record" for the whole record.
        public var field: String
        /// What was done, and by which rule.
        public var detail: String
    }

    public struct Record: Sendable, Codable {
        /// The source's own identifier ("fa-gov:64607", "iati:GB-CHC-202918-DR-0098").
        public var source: String
        /// The source rows or elements that made it (several obligation rows become one activity).
        public var rows: [Int]
        public var activity: Activity?
        public var notes: [Note] = []
        /// Partner names the registry did not know, kept as written.
        public var unknownPartners: [String] = []

        public var skipped: Bool { activity == nil }

        mutating func mapped(_ field: String, _ detail: String) { notes.append(.init(kind: .mapped, field: field, detail: detail)) }
        mutating func guessed(_ field: String, _ detail: String) { notes.append(.init(kind: .guessed, field: field, detail: detail)) }
        mutating func skipped(_ field: String, _ detail: String) { notes.append(.init(kind: .skipped, field: field, detail: detail)) }
    }

    public var format: String
    public var records: [Record] = []

    public var activities: [Activity] { records.compactMap(\.activity) }

    /// Counts for the summary line: records read, activities mapped, records skipped, and the
    /// fields guessed, by field.
    public var summary: String {
        let mapped = records.filter { !$0.skipped }.count
        let skipped = records.count - mapped
        var guesses: [String: Int] = [:]
        for r in records where !r.skipped { for n in r.notes where n.kind == .guessed { guesses[n.field, default: 0] += 1 } }
        let guessText = guesses.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var reasons: [String: Int] = [:]
        for r in records where r.skipped { reasons[r.notes.last { $0.field == "record" }?.detail ?? "?", default: 0] += 1 }
        let reasonText = reasons.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: "; ")
        return "\(records.count) records: \(mapped) activities, \(skipped) skipped" + (reasonText.isEmpty ? "" : " (\(reasonText))")
            + (guessText.isEmpty ? "" : "; guessed: \(guessText)")
    }

    /// The report as text, one block per record: its source, the activity id, and its notes.
    public var text: String {
        var out = "\(format) import: \(summary)\n"
        for r in records {
            out += "\n\(r.source) (row\(r.rows.count == 1 ? "" : "s") \(r.rows.map(String.init).joined(separator: ", ")))"
            out += r.activity.map { " → activity \($0.id.uuidString.lowercased())\n" } ?? " → skipped\n"
            for n in r.notes { out += "  \(n.kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(n.field): \(n.detail)\n" }
        }
        return out
    }
}

/// Refusals an importer raises before mapping anything: the file is not of the format.
public struct ImportError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The public formats Engage imports.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// A ForeignAssistance.gov country export (CSV).
    case faGov = "fa-gov"
    /// An IATI activity file (XML, IATI Standard 2.x).
    case iati

    /// Maps `data` to activities of `post`, partners resolved through `registry`, statuses
    /// judged on `today`. Throws `ImportError` when the file is not of the format.
    public func read(_ data: Data, post: String, registry: PartnerRegistry, today: Day) throws -> MappingReport {
        var report: MappingReport
        switch self {
        case .faGov:
            guard let text = String(data: data, encoding: .utf8) else { throw ImportError("not UTF-8 text; give a ForeignAssistance.gov CSV export") }
            report = try ForeignAssistanceGov(ImportContext(post: post, registry: registry, today: today)).read(text)
        case .iati:
            report = try IATI(ImportContext(post: post, registry: registry, today: today)).read(data)
        }
        // One source identifier is one activity: a record repeating an earlier one's is skipped, saying so.
        var first: [String: [Int]] = [:]
        for i in report.records.indices {
            let source = report.records[i].source
            if let earlier = first[source] {
                report.records[i].activity = nil
                report.records[i].skipped("record", "the same identifier as the record at \(earlier.map(String.init).joined(separator: ", ")); the first is kept")
            } else {
                first[source] = report.records[i].rows
            }
        }
        return report
    }
}

extension MappingReport {
    /// The first ten of `unknownPartners` for a warning line: "'WFP' (73), 'DOJ' (12), …".
    public var unknownPartnersShown: String {
        let unknown = unknownPartners
        return unknown.prefix(10).map { "'\($0.name)' (\($0.activities))" }.joined(separator: ", ") + (unknown.count > 10 ? ", …" : "")
    }

    /// Partner names no registry entry matched, each once, with how many activities name it.
    public var unknownPartners: [(name: String, activities: Int)] {
        var counts: [String: Int] = [:]
        for r in records where !r.skipped { for name in Set(r.unknownPartners) { counts[name, default: 0] += 1 } }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
    }
}

/// Writes mapping reports where the commands are told to.
public enum MappingOutput {
    /// Refuses a report path that would overwrite one of `files` — the database (and its
    /// `-wal`, `-shm`, `-journal` files) or the file being imported — before anything is read.
    public static func check(_ path: String?, against files: [String]) throws {
        guard let path else { return }
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for file in files {
            let base = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path
            if [base, base + "-wal", base + "-shm", base + "-journal"].contains(target) {
                throw ImportError("--report '\(path)' would overwrite \(file); give the report a file of its own")
            }
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ImportError("--report '\(path)' is a folder; give a file name, e.g. \(path)/mapping.txt")
        }
    }

    /// Writes `report` to `path` (nothing without one): JSON when the name ends in .json, else text.
    public static func write(_ report: MappingReport, to path: String?) throws {
        guard let path else { return }
        let data: Data
        if path.lowercased().hasSuffix(".json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(report)
        } else {
            data = Data(report.text.utf8)
        }
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ImportError("cannot write the mapping report to '\(path)' (\((error as NSError).localizedDescription)); give another --report path")
        }
    }
}
