extension SimulatedCompletion {
    static let jsonOpening = #"{"answer":""#
    static let jsonClosing = #""}"#

    /// The pieces of a text answer and its finish reason.
    ///
    /// The natural length is `tokens` from the directives, else 8…40 drawn from the seed. In JSON
    /// mode the words are wrapped as `{"answer":"…"}`, the opening and closing counting one piece
    /// each. A `leak` directive puts its value in the middle. Then `max_tokens` cuts the pieces (finish `length`), and the first stop sequence in
    /// what is left cuts the text before it (finish `stop`, with the sequence that matched).
    static func textPieces(
        for request: SimulatedPrompt,
        directives: SimulatorDirectives,
        random: inout DeterministicRandom
    ) -> (pieces: [String], finishReason: String, stopSequence: String?) {
        let natural = directives.tokens ?? (8 + random.next(below: 33))
        var pieces: [String] = []
        if request.wantsJSON {
            let words = max(1, natural - 2)
            pieces.reserveCapacity(words + 2)
            pieces.append(Self.jsonOpening)
            for _ in 0..<words {
                pieces.append(Vocabulary.words[random.next(below: Vocabulary.words.count)] + " ")
            }
            pieces.append(Self.jsonClosing)
        } else {
            pieces.reserveCapacity(natural)
            for _ in 0..<natural {
                pieces.append(Vocabulary.words[random.next(below: Vocabulary.words.count)] + " ")
            }
        }

        if let leak = directives.leak {
            // In the middle of the words (inside the JSON string in JSON mode).
            let middle = max(request.wantsJSON ? 1 : 0, pieces.count / 2)
            if leak == .systemPrompt {
                let system = request.messages.first { $0.role == "system" }?.texts.joined(separator: " ") ?? ""
                let characters = Array(system + " ")
                let chunks = stride(from: 0, to: characters.count, by: 4).map {
                    String(characters[$0..<min($0 + 4, characters.count)])
                }
                pieces.insert(contentsOf: chunks, at: middle)
            } else {
                pieces.insert(leak.text, at: middle)
            }
        }
        var finishReason = "stop"
        if let cap = request.maxTokens, pieces.count > cap {
            pieces.removeLast(pieces.count - cap)
            finishReason = "length"
        }
        var stopSequence: String?
        if !request.stop.isEmpty, let (cut, stop) = Self.firstStop(in: pieces.joined(), stops: request.stop) {
            pieces = Self.cut(pieces, atByte: cut)
            finishReason = "stop"
            stopSequence = stop
        }
        return (pieces, finishReason, stopSequence)
    }

    /// The UTF-8 offset in `text` where the earliest of `stops` begins, and that stop sequence.
    static func firstStop(in text: String, stops: [String]) -> (Int, String)? {
        let haystack = Array(text.utf8)
        var earliest: Int?
        var matched: String?
        for stop in stops {
            let needle = Array(stop.utf8)
            guard !needle.isEmpty, needle.count <= haystack.count else { continue }
            let limit = earliest ?? (haystack.count - needle.count + 1)
            var start = 0
            while start < min(limit, haystack.count - needle.count + 1) {
                if haystack[start] == needle[0], haystack[start..<(start + needle.count)].elementsEqual(needle) {
                    earliest = start
                    matched = stop
                    break
                }
                start += 1
            }
        }
        guard let earliest, let matched else { return nil }
        return (earliest, matched)
    }

    /// `pieces` with everything from UTF-8 offset `byte` on removed; a piece cut to nothing is dropped.
    static func cut(_ pieces: [String], atByte byte: Int) -> [String] {
        var kept: [String] = []
        var offset = 0
        for piece in pieces {
            let length = piece.utf8.count
            if offset + length <= byte {
                kept.append(piece)
                offset += length
                continue
            }
            let remaining = byte - offset
            if remaining > 0 {
                // Pieces are ASCII (vocabulary words and the JSON wrapper), so any offset is a boundary.
                kept.append(String(decoding: piece.utf8.prefix(remaining), as: UTF8.self))
            }
            break
        }
        return kept
    }
}
