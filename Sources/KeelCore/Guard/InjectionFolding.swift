/// What one Unicode scalar becomes when the injection detector folds text to ASCII words.
enum InjectionFolding {
    enum Folded: Equatable {
        /// A letter, lower-case ASCII; `confusable` when it was another script's look-alike or
        /// a styled form (full-width, mathematical, circled).
        case letter(UInt8, confusable: Bool)
        case digit(UInt8)
        /// `@`, `$` or `!`, read as a letter inside a word (leetspeak).
        case leet(UInt8, letter: UInt8)
        /// An apostrophe: inside a word it joins (`don't` reads as `dont`).
        case joiner
        /// Zero-width and other invisible format characters: dropped, and counted.
        case invisible
        /// Combining marks, variation selectors and the emoji joiner: dropped silently, since
        /// ordinary text is full of them.
        case ignorable
        /// Bidirectional controls: dropped, and counted.
        case bidi
        /// A Unicode tag character, which hides the ASCII character it maps to.
        case tag(UInt8)
        /// Anything else ends a word; ASCII punctuation is kept for structure (0 for others).
        case separator(UInt8)
    }

    static func fold(_ scalar: UInt32) -> Folded {
        if scalar < 0x80 {
            let byte = UInt8(scalar)
            if GuardByte.isLetter(byte) { return .letter(GuardByte.lowercased(byte), confusable: false) }
            if GuardByte.isDigit(byte) { return .digit(byte) }
            switch byte {
            case UInt8(ascii: "@"): return .leet(byte, letter: UInt8(ascii: "a"))
            case UInt8(ascii: "$"): return .leet(byte, letter: UInt8(ascii: "s"))
            case UInt8(ascii: "'"): return .joiner
            default: return .separator(byte)
            }
        }
        switch scalar {
        case 0x2019, 0x02BC: return .joiner
        case 0x00AD, 0x034F, 0x180E, 0x200B, 0x200C, 0x2060...0x2064, 0xFEFF, 0x115F, 0x1160, 0x3164, 0xFFA0:
            return .invisible
        case 0x200D, 0x200E, 0x200F, 0xFE00...0xFE0F: return .ignorable
        case 0x061C, 0x202A...0x202E, 0x2066...0x2069: return .bidi
        case 0xE0020...0xE007E: return .tag(UInt8(scalar - 0xE0000))
        case 0xE0000...0xE007F: return .invisible
        case 0xE0100...0xE01EF, 0x0300...0x036F, 0x0483...0x0489, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF:
            return .ignorable
        case 0xFF01...0xFF5E:
            // Full-width ASCII.
            let ascii = UInt8(scalar - 0xFEE0)
            if GuardByte.isLetter(ascii) { return .letter(GuardByte.lowercased(ascii), confusable: true) }
            if GuardByte.isDigit(ascii) { return .digit(ascii) }
            return .separator(ascii)
        case 0x00C0...0x017F:
            let letter = Self.latin[Int(scalar - 0xC0)]
            return letter == 0 ? .separator(0) : .letter(letter, confusable: false)
        case 0x0370...0x03FF, 0x0400...0x052F:
            if let letter = Self.lookAlikes[scalar] { return .letter(letter, confusable: true) }
            // Another script's letter: part of a word that matches no vocabulary.
            return .letter(0x5F, confusable: true)
        case 0x1D400...0x1D6A3:
            // Mathematical alphanumeric letters: 13 styles of A–Z a–z.
            let offset = Int(scalar - 0x1D400) % 52
            return .letter(UInt8(0x61 + offset % 26), confusable: true)
        case 0x1D7CE...0x1D7FF: return .digit(UInt8(0x30 + (scalar - 0x1D7CE) % 10))
        case 0x24B6...0x24CF: return .letter(UInt8(0x61 + scalar - 0x24B6), confusable: true)
        case 0x24D0...0x24E9: return .letter(UInt8(0x61 + scalar - 0x24D0), confusable: true)
        case 0x1F130...0x1F149: return .letter(UInt8(0x61 + scalar - 0x1F130), confusable: true)
        case 0x1F150...0x1F169: return .letter(UInt8(0x61 + scalar - 0x1F150), confusable: true)
        case 0x1F170...0x1F189: return .letter(UInt8(0x61 + scalar - 0x1F170), confusable: true)
        case 0x1F1E6...0x1F1FF: return .letter(UInt8(0x61 + scalar - 0x1F1E6), confusable: true)
        case 0x1D00...0x1D2B:
            if let letter = Self.lookAlikes[scalar] { return .letter(letter, confusable: true) }
            return .separator(0)
        default:
            // Other letters (CJK, Arabic, …) are words of their own that match no vocabulary.
            return scalar >= 0x3000 || (0x0590...0x08FF).contains(scalar)
                ? .letter(0x5F, confusable: true) : .separator(0)
        }
    }

    /// The letter a digit stands for in leetspeak (`0` → o, `3` → e); itself otherwise. A table
    /// lookup rather than a switch: digits come in runs of random values.
    @inline(__always) static func leetLetter(_ digit: UInt8) -> UInt8 {
        let index = UInt64(digit &- 0x30)
        guard index < 10 else { return digit }
        // "oi2eas6t" for 0–7 and "bg" for 8–9, one byte each, lowest first.
        let letters: UInt64 = index < 8 ? 0x7436_7361_6532_696F : 0x6762
        return UInt8(truncatingIfNeeded: letters >> ((index & 7) &* 8))
    }

    /// Latin-1 Supplement and Latin Extended-A letters without their accents (U+00C0–U+017F);
    /// 0 for the signs among them.
    static let latin: [UInt8] = {
        let text =
            "aaaaaaaceeeeiiiidnooooo\0ouuuuyts" + "aaaaaaaceeeeiiiidnooooo\0ouuuuyty"
            + "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnn"
            + "oooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"
        var letters = Array(text.utf8)
        while letters.count < 0x180 - 0xC0 { letters.append(0) }
        return letters
    }()

    /// Greek, Cyrillic and small-capital letters that look like Latin ones (Unicode's
    /// confusables list, the letters attackers use in practice).
    static let lookAlikes: [UInt32: UInt8] = {
        let pairs: [(UInt32, Character)] = [
            // Cyrillic
            (0x0430, "a"), (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
            (0x0456, "i"), (0x0458, "j"), (0x0455, "s"), (0x0501, "d"), (0x04BB, "h"), (0x04CF, "l"), (0x051B, "q"),
            (0x051D, "w"), (0x0457, "i"), (0x0491, "r"), (0x043A, "k"), (0x043C, "m"), (0x043D, "h"), (0x0442, "t"),
            (0x0432, "b"), (0x0433, "r"), (0x0410, "a"), (0x0412, "b"), (0x0415, "e"), (0x041A, "k"), (0x041C, "m"),
            (0x041D, "h"), (0x041E, "o"), (0x0420, "p"), (0x0421, "c"), (0x0422, "t"), (0x0425, "x"), (0x0423, "y"),
            (0x0406, "i"), (0x0408, "j"), (0x0405, "s"), (0x04AE, "y"), (0x0417, "e"), (0x0437, "e"),
            // Greek
            (0x03B1, "a"), (0x03BF, "o"), (0x03B5, "e"), (0x03B9, "i"), (0x03BA, "k"), (0x03BD, "v"), (0x03C1, "p"),
            (0x03C4, "t"), (0x03C5, "u"), (0x03C7, "x"), (0x03B2, "b"), (0x03B3, "y"), (0x03C9, "w"), (0x0391, "a"),
            (0x0392, "b"), (0x0395, "e"), (0x0396, "z"), (0x0397, "h"), (0x0399, "i"), (0x039A, "k"), (0x039C, "m"),
            (0x039D, "n"), (0x039F, "o"), (0x03A1, "p"), (0x03A4, "t"), (0x03A5, "y"), (0x03A7, "x"), (0x03F2, "c"),
            (0x03F3, "j"),
            // Small capitals
            (0x1D00, "a"), (0x0299, "b"), (0x1D04, "c"), (0x1D05, "d"), (0x1D07, "e"), (0x0262, "g"), (0x029C, "h"),
            (0x026A, "i"), (0x1D0A, "j"), (0x1D0B, "k"), (0x029F, "l"), (0x1D0D, "m"), (0x0274, "n"), (0x1D0F, "o"),
            (0x1D18, "p"), (0x0280, "r"), (0x1D1B, "t"), (0x1D1C, "u"), (0x1D20, "v"), (0x1D21, "w"), (0x028F, "y"),
            (0x1D22, "z"),
        ]
        var table: [UInt32: UInt8] = [:]
        for (scalar, letter) in pairs { table[scalar] = letter.asciiValue! }
        return table
    }()
}
