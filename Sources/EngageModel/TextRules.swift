/// The rules every free-text value follows, on devices, at the hub and on import alike.
///
/// Lengths are counted in characters (extended grapheme clusters). Control characters other
/// than tab, line feed and carriage return are refused: no person types them, SQLite's text
/// functions stop at U+0000, and they would make the device and the hub disagree.
public enum TextRules {
    /// Maximum lengths, in characters.
    public static let maxTitle = 200
    public static let maxLocation = 200
    public static let maxNotes = 20_000
    public static let maxPartner = 200
    /// The largest participant count accepted: more people than any engagement trains.
    public static let maxParticipants = 1_000_000

    /// Throws a `ModelError` naming `field` when `text` is longer than `maxLength` characters
    /// or holds a control character.
    public static func check(_ field: String, _ text: String, maxLength: Int) throws(ModelError) {
        if let bad = text.unicodeScalars.first(where: isRefusedControl) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)
            throw ModelError(field: field, message: "\(field) contains the control character \(code); remove it")
        }
        let count = text.count
        if count > maxLength {
            throw ModelError(field: field, message: "\(field) is \(count) characters long; keep it to \(maxLength)")
        }
    }

    static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || scalar.value == 0x7F
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
