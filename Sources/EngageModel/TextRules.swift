/// The rules every free-text value follows, on devices, at the hub and on import alike.
///
/// Lengths are counted in characters (extended grapheme clusters). Control characters other
/// than tab, line feed and carriage return are refused — C0, DEL and C1 (U+0080–U+009F, where
/// U+009B is a terminal's escape sequence introducer): no person types them, SQLite's text
/// functions stop at U+0000, and they would make the device and the hub disagree. A one-line
/// value (a title, a location, a name) refuses line breaks and the bidirectional embeddings,
/// overrides and isolates too (U+202A–U+202E, U+2066–U+2069), which reorder what follows them
/// on screen ("Trojan Source", CVE-2021-42574).
///
/// Whatever the rules let in, or an older version let in, text shown to a person goes through
/// `displayable`, which makes every control character visible instead of obeying it.
public enum TextRules {
    /// Maximum lengths, in characters.
    public static let maxTitle = 200
    public static let maxLocation = 200
    public static let maxNotes = 20_000
    public static let maxPartner = 200
    /// The largest participant count accepted: more people than any engagement trains.
    public static let maxParticipants = 1_000_000

    /// Throws a `ModelError` naming `field` when `text` is longer than `maxLength` characters
    /// or holds a control character other than tab, line feed and carriage return.
    public static func check(_ field: String, _ text: String, maxLength: Int) throws(ModelError) {
        if let bad = text.unicodeScalars.first(where: isRefusedControl) {
            throw ModelError(field: field, message: "\(field) contains the control character \(code(bad)); remove it")
        }
        let count = text.count
        if count > maxLength {
            throw ModelError(field: field, message: "\(field) is \(count) characters long; keep it to \(maxLength)")
        }
    }

    /// `check`, for a value shown on one line (a title, a location, a name): no line break
    /// and no bidirectional embedding, override or isolate either.
    public static func checkLine(_ field: String, _ text: String, maxLength: Int) throws(ModelError) {
        if let bad = text.unicodeScalars.first(where: { isLineBreak($0) || isBidiControl($0) }) {
            let what = isLineBreak(bad) ? "a line break" : "the bidirectional control character"
            throw ModelError(field: field, message: "\(field) contains \(what) \(code(bad)); keep it on one line, without it")
        }
        try check(field, text, maxLength: maxLength)
    }

    static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || (0x7F...0x9F).contains(scalar.value)
    }

    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r" || scalar.value == 0x0B || scalar.value == 0x0C || scalar.value == 0x85
            || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// The explicit bidirectional formatting characters (Unicode UAX #9): embeddings and
    /// overrides U+202A–U+202E, isolates U+2066–U+2069.
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// Whether a terminal would act on `scalar` instead of showing it: C0 (tab and line feed
    /// aside when `keepingLines`), DEL, C1, the bidirectional controls (with the marks U+061C,
    /// U+200E, U+200F) and the line and paragraph separators.
    public static func isDisplayControl(_ scalar: Unicode.Scalar, keepingLines: Bool = false) -> Bool {
        if keepingLines, scalar == "\n" || scalar == "\t" { return false }
        let v = scalar.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || isBidiControl(scalar) || v == 0x061C || v == 0x200E || v == 0x200F
            || v == 0x2028 || v == 0x2029
    }

    /// `text` as it may be written to a terminal or a log for people: every control character
    /// (`isDisplayControl`) replaced by its code in angle brackets (`<U+001B>`), so an escape
    /// sequence, a carriage return or a bidirectional override in data shows as what it is and
    /// does nothing. `keepingLines` keeps line feeds and tabs (a multi-line text, a message);
    /// otherwise the result is one line (a table cell). Not for JSON output: its encoder escapes
    /// control characters itself.
    public static func displayable(_ text: String, keepingLines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isDisplayControl($0, keepingLines: keepingLines) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if isDisplayControl(scalar, keepingLines: keepingLines) {
                out += "<\(code(scalar))>"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// JSON text with every control character `displayable` would mark written as a `\uXXXX`
    /// escape: the same JSON value, safe on a terminal. JSON encoders escape only U+0000–U+001F;
    /// DEL, C1 (U+009B starts an escape sequence) and the bidirectional controls pass raw.
    /// `json` must be an encoder's output (control characters occur only inside its strings).
    public static func displayableJSON(_ json: String) -> String {
        // Below U+007F the encoder has escaped them already; a raw line feed there is layout.
        let escaped = { (scalar: Unicode.Scalar) in scalar.value >= 0x7F && isDisplayControl(scalar) }
        guard json.unicodeScalars.contains(where: escaped) else { return json }
        var out = ""
        out.reserveCapacity(json.utf8.count + 16)
        for scalar in json.unicodeScalars {
            if escaped(scalar) {
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// "U+001B".
    public static func code(_ scalar: Unicode.Scalar) -> String {
        "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
