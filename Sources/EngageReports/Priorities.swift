import EngageModel

/// The strategy's systematic prioritisation: each priority country scored on several factors
/// (0–10), combined with weights into one score. Method: docs/priorities.md.
public struct Priorities: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var country: Country
        public var factors: [String: Double]
        public init(country: Country, factors: [String: Double]) {
            self.country = country
            self.factors = factors
        }
    }

    /// Factor name → weight; weights need not sum to 1 (scores are compared as shares).
    public var weights: [String: Double]
    public var countries: [Entry]

    public init(weights: [String: Double], countries: [Entry]) {
        self.weights = weights
        self.countries = countries
    }

    /// Σ weight × factor; a factor missing for a country counts 0.
    public func score(_ entry: Entry) -> Double {
        weights.reduce(0) { $0 + $1.value * (entry.factors[$1.key] ?? 0) }
    }

    /// Checks weights and factors, naming what is wrong.
    public func validate() throws(ModelError) {
        guard !weights.isEmpty, weights.values.allSatisfy({ $0 >= 0 }), weights.values.contains(where: { $0 > 0 }) else {
            throw ModelError(field: "weights", message: "priority weights must be 0 or more, at least one above 0")
        }
        for entry in countries {
            for (factor, value) in entry.factors where !(0...10).contains(value) {
                throw ModelError(field: "factors", message: "\(entry.country) \(factor) = \(value); factors run from 0 to 10")
            }
        }
    }
}
