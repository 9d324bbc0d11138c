import KeelCore

/// What every OpenAI request body shares: a JSON object with a `model` string.
enum OpenAIRequestBody {
    /// The scanned object and its model, or the error the OpenAI API gives for the body.
    static func index(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) -> Result<(index: JSONObjectIndex, model: JSONScanner.Member, name: String), KeelError> {
        let index: JSONObjectIndex
        do {
            index = try JSONScanner.indexObject(bytes, maxDepth: maxDepth)
        } catch {
            return .failure(Self.syntaxError(error))
        }
        guard let model = index["model"] else {
            return .failure(.invalidRequest("You must provide a model parameter.", param: "model"))
        }
        guard let name = index.string(model), !name.isEmpty else {
            return .failure(.invalidRequest("Invalid type for 'model': expected a non-empty string.", param: "model"))
        }
        return .success((index, model, name))
    }

    static func syntaxError(_ error: JSONScanner.SyntaxError) -> KeelError {
        switch error.reason {
        case .notAnObject:
            .invalidRequest("The request body must be a JSON object.")
        case .tooDeep:
            .invalidRequest("The JSON body of the request is nested too deeply.")
        default:
            .invalidRequest("We could not parse the JSON body of your request (\(error.reason.rawValue) at byte \(error.offset)).")
        }
    }
}
