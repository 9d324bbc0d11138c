import KeelCore
import NIOCore

/// The `model` member of a request body, which pass-through rewrites and nothing else.
enum ModelField {
    /// `body` with the model value at `range` (`current`) replaced by `model`; the same buffer,
    /// uncopied, when the names are equal.
    static func rewritten(_ body: ByteBuffer, from current: String, at range: Range<Int>, to model: String) -> ByteBuffer {
        guard model != current else { return body }
        var edits = ByteEdits()
        edits.replace(range, with: JSONWriter.quoted(model))
        return edits.applied(to: body)
    }
}
