import Core

/// An ISO 4217 currency with the number of minor units its amounts are counted in
/// (API.md "Money": `1999` is 19.99 USD; JPY has no minor unit).
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    /// Digits after the decimal point in the currency's usual notation.
    public let minorUnits: Int

    /// The currency for `code` (upper case, as ISO 4217 writes it); nil when it is not an active
    /// ISO 4217 code.
    public init?(_ code: String) {
        guard let minorUnits = Self.table[code] else { return nil }
        self.code = code
        self.minorUnits = minorUnits
    }

    public var description: String { code }

    /// The field error for a `currency` value that is not one we know, or nil.
    public static func problem(_ code: String) -> String? {
        Currency(code) == nil ? "must be an ISO 4217 currency code such as USD or EUR" : nil
    }

    /// Active ISO 4217 codes with their minor units (codes with a minor unit other than 2 are
    /// listed apart so the table stays readable).
    static let table: [String: Int] = {
        let two = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF \
            CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL \
            HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP \
            MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD \
            SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS \
            VES WST XCD YER ZAR ZMW ZWG
            """
        var table: [String: Int] = [:]
        for code in two.split(separator: " ") { table[String(code)] = 2 }
        for code in [
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
            "XAF", "XOF", "XPF",
        ] { table[code] = 0 }
        for code in ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"] { table[code] = 3 }
        table["CLF"] = 4
        return table
    }()
}

/// Limits on money amounts (API.md "Money": integers in minor units, at most 2^53−1 so every
/// JSON client reads them exactly).
public enum MoneyRules {
    public static let maxMinorUnits: Int64 = 9_007_199_254_740_991

    /// The field error for an amount out of range, or nil. `allowNegative` for signed figures.
    public static func problem(_ amount: Int64, allowNegative: Bool = false) -> String? {
        if !allowNegative && amount < 0 { return "must not be negative" }
        if amount > maxMinorUnits || amount < -maxMinorUnits { return "must be at most 2^53-1 minor units" }
        return nil
    }
}
