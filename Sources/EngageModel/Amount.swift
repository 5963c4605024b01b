import Foundation

/// A sum of money in one currency: an obligation, a budget. Optional on an activity, never
/// required. `value` is a decimal (never a binary float, so 0.1 stays 0.1); `currency` an
/// ISO 4217 alphabetic code. Replicated as one field, "12000000 USD", so a value and its
/// currency are never merged apart.
public struct Amount: Hashable, Sendable, Codable, CustomStringConvertible {
    public var value: Decimal
    public var currency: String

    public init(value: Decimal, currency: String) throws(ModelError) {
        let code = currency.trimmingCharacters(in: .whitespaces).uppercased()
        guard Amount.currencies.contains(code) else {
            throw ModelError(field: "amount", message: "currency '\(currency)' is not an ISO 4217 currency code; use one such as USD, EUR or XDR")
        }
        guard value.isFinite, abs(value) < Amount.limit else {
            throw ModelError(field: "amount", message: "amount is out of range; give it in units of the currency, below 10^15 (a thousand trillion)")
        }
        guard Amount.plain(value).filter(\.isNumber).count <= 30 else {
            throw ModelError(field: "amount", message: "amount has more than 30 digits; round it to the currency's smallest unit")
        }
        self.value = value
        self.currency = code
    }

    /// Parses the replicated form, "12000000 USD" or "1500.50 EUR".
    public init(_ text: String) throws(ModelError) {
        let parts = text.split(separator: " ")
        if parts.count == 2, parts[0].filter(\.isNumber).count > 30 {
            throw ModelError(field: "amount", message: "amount has more than 30 digits; round it to the currency's smallest unit")
        }
        guard parts.count == 2, let value = Amount.decimal(String(parts[0])) else {
            throw ModelError(field: "amount", message: "amount '\(text)' is not a sum and a currency; write it like 12000 USD")
        }
        try self.init(value: value, currency: String(parts[1]))
    }

    /// "12000000 USD": the decimal in plain digits (no exponent, no grouping), then the code.
    public var description: String { "\(Amount.plain(value)) \(currency)" }

    /// Amounts must be below this, in units of the currency.
    public static let limit = Decimal(sign: .plus, exponent: 15, significand: 1)

    /// A decimal written as plain digits with an optional sign and point ("-1321", "0.5");
    /// nil for anything else (grouping, exponents, letters).
    public static func decimal(_ text: String) -> Decimal? {
        var digits = 0, points = 0
        for (i, c) in text.enumerated() {
            if c.isASCII && c.isNumber { digits += 1 } else if c == "." { points += 1 } else if c == "-" && i == 0 { continue } else { return nil }
        }
        // More digits than a Decimal holds exactly would be rounded without a word: refused.
        guard digits > 0, digits <= 30, points <= 1 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    static func plain(_ value: Decimal) -> String {
        var v = value
        return NSDecimalString(&v, Locale(identifier: "en_US_POSIX"))
    }

    enum CodingKeys: String, CodingKey { case value, currency }

    /// JSON: `{"value": "12000000", "currency": "USD"}`; `value` may also be a JSON number.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text: String
        if let string = try? c.decode(String.self, forKey: .value) { text = string } else { text = try c.decode(Decimal.self, forKey: .value).description }
        guard let value = Amount.decimal(text) else {
            throw DecodingError.dataCorruptedError(forKey: .value, in: c, debugDescription: "amount value '\(text)' is not a number; write digits with an optional point, e.g. \"1500.50\"")
        }
        let currency = try c.decode(String.self, forKey: .currency)
        do { try self.init(value: value, currency: currency) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Amount.plain(value), forKey: .value)
        try c.encode(currency, forKey: .currency)
    }
}
