import Foundation
import KeelCore
import Testing

@Suite("Canonical JSON: RFC 8785")
struct CanonicalJSONTests {
    /// Input and output files of cyberphone/json-canonicalization `testdata/` (the RFC's reference
    /// implementation). Non-ASCII characters are written as Swift escapes so that invisible ones
    /// (U+0080, U+007F) stay visible here.
    static let corpus: [(name: String, input: String, output: String)] = [
        (
            "arrays",
            "[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]",
            #"[56,{"1":[],"10":null,"d":true}]"#
        ),
        (
            "french",
            "{\n  \"peach\": \"This sorting order\",\n  \"p\u{E9}ch\u{E9}\": \"is wrong according to French\",\n  \"p\u{EA}che\": \"but canonicalization MUST\",\n  \"sin\":   \"ingnore locale\"\n}\n",
            "{\"peach\":\"This sorting order\",\"p\u{E9}ch\u{E9}\":\"is wrong according to French\",\"p\u{EA}che\":\"but canonicalization MUST\",\"sin\":\"ingnore locale\"}"
        ),
        (
            "structures",
            "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ { } ],\n  \"A\": { }\n}",
            #"{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}"#
        ),
        (
            "unicode",
            "{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
            "{\"Unnormalized Unicode\":\"\u{1E0D}\u{0307}\"}"
        ),
        (
            "values",
            "{\n  \"numbers\": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
            "{\"escaping\":\"\u{20AC}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"literals\":[null,true,false],\"numbers\":[1e+30,4.5,333333333.3333333,0.002,1e-27]}"
        ),
        (
            "weird",
            "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}\n",
            "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u{80}\":\"Control\u{7F}\",\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\",\"\u{1F602}\":\"Smiley\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        ),
    ]

    @Test(arguments: CanonicalJSONTests.corpus.map(\.name))
    func theReferenceCorpusCanonicalizes(name: String) throws {
        let file = try #require(Self.corpus.first { $0.name == name })
        let output = try CanonicalJSON.canonicalize(Array(file.input.utf8))
        #expect(String(decoding: output, as: UTF8.self) == file.output)
        // Canonical output is a fixed point.
        #expect(try CanonicalJSON.canonicalize(output) == output)
    }

    /// RFC 8785 Appendix B, "Number Serialization Samples" (IEEE-754 bits → expected text), and
    /// the sample lines of cyberphone/json-canonicalization `testdata/README.md`.
    static let appendixB: [(bits: UInt64, text: String)] = [
        (0x0000_0000_0000_0000, "0"),
        (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
        (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"),
        (0xc340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
        (0x44b5_2d02_c7e1_4af6, "1e+23"),
        (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
        (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
        (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
        (0x444b_1ae4_d6e2_ef50, "1e+21"),
        (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
        (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
        (0x41b3_de43_5555_5553, "333333333.3333332"),
        (0x41b3_de43_5555_5554, "333333333.33333325"),
        (0x41b3_de43_5555_5555, "333333333.3333333"),
        (0x41b3_de43_5555_5556, "333333333.3333334"),
        (0x41b3_de43_5555_5557, "333333333.33333343"),
        (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
        (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        (0x4340_0000_0000_0001, "9007199254740994"),
        (0x4340_0000_0000_0002, "9007199254740996"),
    ]

    /// Doubles written by V8's `JSON.stringify` (node 18), an implementation independent of this
    /// one, around the places where ECMAScript's layout changes.
    static let v8Samples: [(bits: UInt64, text: String)] = [
        (0x3fd3_3333_3333_3334, "0.30000000000000004"),
        (0x3fd5_5555_5555_5555, "0.3333333333333333"),
        (0x3ea0_c6f7_a0b5_ed8d, "5e-7"),
        (0x3e7a_d7f2_9abc_af48, "1e-7"),
        (0x3c36_b082_c214_8b8e, "1.23e-18"),
        (0x4059_0000_0000_0000, "100"),
        (0x4415_af1d_78b5_8c40, "100000000000000000000"),
        (0x441a_c53a_7e04_bcda, "123456789012345680000"),
        (0x43b0_0000_0000_0000, "1152921504606847000"),
        (0x43f0_0000_0000_0000, "18446744073709552000"),
        (0x7e41_eb2d_6600_5835, "1.5e+300"),
        (0x0010_0000_0000_0000, "2.2250738585072014e-308"),
        (0x433f_ffff_ffff_ffff, "9007199254740991"),
        (0x4011_6666_6666_6666, "4.35"),
        (0xbeea_36e2_eb1c_432d, "-0.0000125"),
        (0x7fe1_ccf3_85eb_c8a0, "1e+308"),
        (0x4167_8c29_dccc_cccd, "12345678.9"),
        (0x44df_e185_ca57_c517, "6.02214076e+23"),
        (0x3c07_a4da_290c_1653, "1.602176634e-19"),
        (0x7fdf_ffff_ffff_ffff, "8.988465674311579e+307"),
        (0xf274_337b_e18d_df5c, "-2.1552205846361574e+243"),
        (0x2b87_41c6_7789_7972, "5.316476605008916e-99"),
        (0x4108_4c65_7554_8aed, "199052.6822901586"),
        (0xc46d_b125_e6b3_8d97, "-4.3817635241222204e+21"),
        (0x3e92_529a_b590_de7a, "2.7302910649308984e-7"),
        (0x43c2_7f79_c635_6558, "2665835813862551600"),
        (0x03b7_634a_e7dc_690e, "9.374642493650868e-291"),
    ]

    @Test func numbersFollowECMAScriptAsTheRFCSamplesAndV8Show() throws {
        for sample in Self.appendixB + Self.v8Samples {
            let value = Double(bitPattern: sample.bits)
            #expect(try CanonicalJSON.numberText(value) == sample.text, "\(String(sample.bits, radix: 16))")
            // Through JSON text too: the shortest form reads back as the same double.
            let reparsed = try CanonicalJSON.canonicalize(Array("[\(sample.text)]".utf8))
            #expect(String(decoding: reparsed, as: UTF8.self) == "[\(sample.text)]")
        }
        // Integers up to 2^53 keep their digits; beyond, they are doubles like any number.
        let integers = try CanonicalJSON.canonicalize(Array("[-9007199254740991,0,-0,9007199254740993]".utf8))
        #expect(String(decoding: integers, as: UTF8.self) == "[-9007199254740991,0,0,9007199254740992]")
    }

    @Test func nonFiniteNumbersAndDuplicateNamesHaveNoCanonicalForm() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: CanonicalJSONError.self) { try CanonicalJSON.numberText(value) }
        }
        #expect(throws: CanonicalJSONError.invalidNumber("1e400")) {
            try CanonicalJSON.canonicalize(Array("[1e400]".utf8))
        }
        #expect(throws: CanonicalJSONError.duplicateKey("a")) {
            try CanonicalJSON.canonicalize(Array(#"{"a":1,"b":2,"a":3}"#.utf8))
        }
        #expect(throws: CanonicalJSONError.invalidJSON) { try CanonicalJSON.canonicalize(Array("{".utf8)) }
        // Not I-JSON: lone surrogates and invalid UTF-8 (which a parser would turn into U+FFFD).
        for text in [#"["\ud800"]"#, #"["\udc00x"]"#, #"["\ud800\u0041"]"#] {
            #expect(throws: CanonicalJSONError.invalidJSON, "\(text)") {
                try CanonicalJSON.canonicalize(Array(text.utf8))
            }
        }
        #expect(throws: CanonicalJSONError.invalidJSON) { try CanonicalJSON.canonicalize([0x22, 0xC3, 0x22]) }
        // An escaped backslash before "u" is not an escape, and a full pair is fine.
        #expect(
            try CanonicalJSON.canonicalize(Array(#"["\\ud800","\ud83d\ude02"]"#.utf8))
                == Array("[\"\\\\ud800\",\"\u{1F602}\"]".utf8)
        )
    }

    @Test func namesSortByUTF16CodeUnitsNotByScalars() throws {
        // U+E000 sorts after U+10000 in UTF-16 (0xE000 > 0xD800), before it by scalar value.
        let value = JSONValue.object([.init(key: "\u{E000}", value: .int(1)), .init(key: "\u{10000}", value: .int(2))])
        #expect(String(decoding: try CanonicalJSON.encode(value), as: UTF8.self) == "{\"\u{10000}\":2,\"\u{E000}\":1}")
    }

    @Test func namesFromAcrossUnicodeSortAsTheirUTF16CodeUnits() throws {
        var generator = SplitMix64(seed: 8785)
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0xA0...0x2FF, 0x4E00...0x4E20, 0xE000...0xE010, 0xFF00...0xFFFD, 0x1_0000...0x1_0010,
            0x1_F600...0x1_F610,
        ]
        var keys = Set<String>()
        while keys.count < 300 {
            var key = ""
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let range = ranges.randomElement(using: &generator)!
                key.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: range, using: &generator))!)
            }
            keys.insert(key)
        }
        let value = JSONValue.object(keys.shuffled(using: &generator).map { .init(key: $0, value: .null) })
        let encoded = try JSONValue(parsing: String(decoding: try CanonicalJSON.encode(value), as: UTF8.self))
        let order = try #require(encoded.members).map(\.key)
        #expect(order == keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) })
    }

    @Test func stringsEscapeOnlyWhatRFC8785Requires() throws {
        let text = "\u{0}\u{8}\t\n\u{B}\u{C}\r\u{1F}\"\\/\u{7F}\u{2028}é"
        let encoded = try CanonicalJSON.encode(.string(text))
        #expect(
            String(decoding: encoded, as: UTF8.self)
                == "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\\"\\\\/\u{7F}\u{2028}é\""
        )
    }

    /// Runs a file of `hex-bits,expected` lines, the format of cyberphone's 100-million-line
    /// `es6testfile100m.txt` (or one written by `JSON.stringify` in node). Opt-in:
    ///
    ///     KEEL_JCS_NUMBER_FILE=/path/to/es6testfile.txt swift test --filter CanonicalJSONTests
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KEEL_JCS_NUMBER_FILE"] != nil))
    func numbersMatchAnES6TestFile() throws {
        let path = try #require(ProcessInfo.processInfo.environment["KEEL_JCS_NUMBER_FILE"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var checked = 0
        var mismatches: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ",")
            guard parts.count == 2, let bits = UInt64(parts[0], radix: 16) else { continue }
            let got = try CanonicalJSON.numberText(Double(bitPattern: bits))
            if got != parts[1], mismatches.count < 20 { mismatches.append("\(line) → \(got)") }
            checked += 1
        }
        print("Checked \(checked) numbers, \(mismatches.count) mismatches")
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(checked > 0)
    }
}
