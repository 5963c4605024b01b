import EngageModel
import Foundation

/// The rules importers use where a source says less than an activity holds. Each returns its
/// value and the reason, for the mapping report.
enum Guesses {
    /// Title words that name a kind, tried in order (first match wins).
    static let kindWords: [(ActivityKind, [String])] = [
        (.agreement, ["agreement", "memorandum", "mou", "treaty", "convention", "accord", "acuerdo", "convenio", "avtal"]),
        (.jointOperation, ["joint operation", "operation ", "interdiction operation", "patrol"]),
        (.informationSharing, ["information sharing", "information exchange", "data exchange", "intelligence", "surveillance"]),
        (.standards, ["standard", "certification", "accreditation", "harmoniz", "harmonis"]),
        (
            .training,
            [
                "course", "training", "train ", "academy", "workshop", "seminar", "curso", "formation", "capacitación",
                "utbildning", "attendees", "trainees", "instruction",
            ]
        ),
    ]

    /// The kind a title (and description) suggests; capacity-building when no word matches.
    static func kind(_ title: String, _ description: String = "") -> (ActivityKind, String) {
        let text = " " + (title + " " + description).lowercased() + " "
        for (kind, words) in kindWords {
            if let word = words.first(where: { text.contains($0) }) {
                return (kind, "\(kind.rawValue), from the word '\(word.trimmingCharacters(in: .whitespaces))'")
            }
        }
        return (.capacityBuilding, "capacity-building, the default: no word of another kind in the title or description")
    }

    /// Sector words that name a strategic goal.
    static let goalWords: [(StrategicGoal, [String])] = [
        (
            .counterThreats,
            [
                "narcotic", "counter-terror", "counterterror", "security sector", "interdiction", "trafficking",
                "border security",
                "export control", "nonproliferation", "non-proliferation", "weapons", "conflict, peace and security",
                "law enforcement",
            ]
        ),
        (.facilitateTrade, ["trade", "customs", "travel", "transport", "migration"]),
        (.informationSharing, ["information", "data", "statistic", "surveillance"]),
        (.sharedStandards, ["rule of law", "governance", "standards", "legal and judicial", "anti-corruption", "human rights"]),
    ]

    /// The goals a record's sectors and title suggest (none when nothing matches).
    static func goals(_ texts: [String]) -> (Set<StrategicGoal>, String)? {
        let text = texts.joined(separator: " ").lowercased()
        var found: [(StrategicGoal, String)] = []
        for (goal, words) in goalWords {
            if let word = words.first(where: { text.contains($0) }) { found.append((goal, word)) }
        }
        guard !found.isEmpty else { return nil }
        return (Set(found.map(\.0)), found.map { "\($0.0.rawValue) (from '\($0.1)')" }.joined(separator: ", "))
    }

    /// "[24 attendees]", "(12 participants)", "- 30 trainees" in a title: the count of people.
    static func participants(inTitle title: String) -> (Int, String)? {
        let pattern =
            #"[\[(]\s*(\d{1,6})\s+(attendees|participants|trainees|students|officers|officials|participantes|participants)\s*[\])]"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
            let match = regex.firstMatch(in: title, range: NSRange(title.startIndex..., in: title)),
            let range = Range(match.range(at: 1), in: title), let n = Int(title[range]),
            let whole = Range(match.range, in: title)
        else { return nil }
        return (n, "\(n), read from '\(title[whole])' in the title")
    }

    /// The status dates suggest on `today`: completed once the end has passed, in progress once
    /// the start has, planned before.
    static func status(start: Day, end: Day?, today: Day) -> (ActivityStatus, String) {
        if let end, end < today { return (.completed, "completed: the end, \(end), has passed") }
        if start <= today {
            return (.inProgress, "in-progress: started \(start)\(end.map { ", ends \($0)" } ?? ", no end given")")
        }
        return (.planned, "planned: starts \(start)")
    }

    /// A title within the model's length: the first `TextRules.maxTitle` characters, cut at a
    /// word, with "…"; the whole title then goes to notes.
    static func title(_ text: String) -> (String, Bool) {
        let clean = line(text)
        guard clean.count > TextRules.maxTitle else { return (clean, false) }
        var cut = String(clean.prefix(TextRules.maxTitle - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > TextRules.maxTitle / 2 {
            cut = String(cut[..<space])
        }
        return (cut + "…", true)
    }

    /// Text within `limit` characters, without control characters (C0, DEL, C1) other than tab and newlines.
    static func clean(_ text: String, limit: Int) -> String {
        let kept = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter {
                    !(0...0x1F).contains($0.value) && !(0x7F...0x9F).contains($0.value) || $0 == "\n" || $0 == "\t"
                }))
        return kept.count > limit ? String(kept.prefix(limit - 1)) + "…" : kept
    }

    /// A one-line value (a title, a name) as `TextRules.checkLine` takes it: line breaks and
    /// tabs become spaces, other control characters and bidirectional controls are dropped.
    static func line(_ text: String) -> String {
        let joined = text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "\t", with: " ")
        return clean(String(String.UnicodeScalarView(joined.unicodeScalars.filter { !TextRules.isBidiControl($0) })), limit: .max)
            .trimmingCharacters(in: .whitespaces)
    }
}
