import HTTPTypes

/// What a request asks of the response cache, from `x-keel-cache` and `Cache-Control`.
///
/// - `no-store` in either header: the cache is not read and the answer is not stored
///   (``bypass``; response `x-keel-cache: bypass`).
/// - `no-cache` in either header: the cache is not read, the fresh answer is stored and replaces
///   the cached one (``refresh``; response `x-keel-cache: refresh`).
/// - Anything else: read, and store on a miss (``use``).
///
/// Both headers may hold a comma-separated list; `no-store` wins over `no-cache`. Tokens are
/// case-insensitive; other `Cache-Control` directives (`max-age`, …) are ignored.
enum CacheDirective: Sendable, Equatable {
    case use
    case refresh
    case bypass

    init(_ headers: HTTPFields) {
        var directive = CacheDirective.use
        for name in [HTTPField.Name.keelCache, .cacheControl] {
            for value in headers[values: name] {
                for token in value.split(separator: ",") {
                    switch token.trimmingSpaces.lowercased() {
                    case "no-store": directive = .bypass
                    case "no-cache" where directive == .use: directive = .refresh
                    default: break
                    }
                }
            }
        }
        self = directive
    }
}

extension HTTPField.Name {
    /// Request: `no-cache` / `no-store`. Response: `hit`, `miss`, `refresh` or `bypass`.
    static let keelCache = Self("x-keel-cache")!
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return slice
    }
}
