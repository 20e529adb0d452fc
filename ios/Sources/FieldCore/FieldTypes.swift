// The Swift types of the library's dates, timestamps and case ids (bindings/uniffi.toml maps
// the generated `LocalDate`, `Timestamp` and `CaseId` onto them). On the wire they stay the
// strings bindings/src/convert.rs documents; here they are values an app can compute with.
// Each keeps its wire text, so nothing is lost on the way back (the offset a timestamp was
// recorded in decides which local day a complaint arrived).
import Foundation

/// A calendar date without a time zone (purchase, manufacture, a warranty's end):
/// `YYYY-MM-DD` on the wire. Written as a literal (`"2026-06-01"`) or from components; a
/// text that is not a date is refused by the library as `FieldError.Validation`.
public struct FieldDate: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// `YYYY-MM-DD` as the library sends and expects it.
    public let wire: String

    public init(wire: String) {
        self.wire = wire
    }

    public init(stringLiteral value: String) {
        self.init(wire: value)
    }

    public init(year: Int, month: Int, day: Int) {
        self.init(wire: String(format: "%04d-%02d-%02d", year, month, day))
    }

    /// Year, month and day; nil for a text that is not a date.
    public var components: DateComponents? {
        let parts = wire.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return DateComponents(year: parts[0], month: parts[1], day: parts[2])
    }

    public var description: String { wire }

    public static func < (lhs: FieldDate, rhs: FieldDate) -> Bool { lhs.wire < rhs.wire }
}

/// An instant with the UTC offset it was recorded in: RFC 3339 on the wire
/// (`2026-11-23T09:30:00+08:00`).
public struct FieldTimestamp: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// RFC 3339 as the library sends and expects it.
    public let wire: String

    public init(wire: String) {
        self.wire = wire
    }

    public init(stringLiteral value: String) {
        self.init(wire: value)
    }

    /// `date` as seen in `timeZone` (the device's by default): the offset is recorded with it.
    public init(date: Date, timeZone: TimeZone = .current) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        self.init(wire: formatter.string(from: date))
    }

    /// The instant; nil for a text that is not RFC 3339.
    public var date: Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: wire) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: wire)
    }

    /// The UTC offset it was recorded in, for showing the local time on site.
    public var timeZone: TimeZone? {
        if wire.hasSuffix("Z") || wire.hasSuffix("z") { return TimeZone(secondsFromGMT: 0) }
        let suffix = wire.suffix(6)
        guard suffix.count == 6, let sign = suffix.first, sign == "+" || sign == "-",
              let hours = Int(suffix.dropFirst().prefix(2)), let minutes = Int(suffix.suffix(2)) else { return nil }
        let seconds = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        return TimeZone(secondsFromGMT: seconds)
    }

    public var description: String { wire }

    /// By instant; texts that do not parse sort by their text.
    public static func < (lhs: FieldTimestamp, rhs: FieldTimestamp) -> Bool {
        if let l = lhs.date, let r = rhs.date { return l < r }
        return lhs.wire < rhs.wire
    }
}

/// The case id on the wire is the hyphenated lowercase UUID: lifted into Foundation's `UUID`.
enum CaseIdWire {
    struct NotAUuid: Error, CustomStringConvertible {
        let text: String
        var description: String { "not a case id: \(text)" }
    }

    static func lift(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw NotAUuid(text: text) }
        return id
    }

    static func lower(_ id: UUID) -> String {
        id.uuidString.lowercased()
    }
}
