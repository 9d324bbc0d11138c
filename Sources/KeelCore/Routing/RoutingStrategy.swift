/// How a model group orders its deployments for one request.
///
/// Every strategy orders only the *eligible* deployments: breaker closed (or ready for a probe)
/// and under its RPM/TPM limits. The first is the first choice; the rest are the failover order.
/// When none is eligible, ``RoutingTable/candidates(estimatedTokens:at:using:)`` returns a single
/// last-resort candidate instead (see there). Ties always go to configuration order.
public enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    /// Configuration order: the first eligible deployment, then the next. Keel's behaviour before
    /// strategies existed, and the default. LiteLLM's `order` fallbacks.
    case priority
    /// A random order drawn by weight without replacement: the first choice is deployment `i` with
    /// probability `weight(i) / Σ weights` of the eligible ones. Deployments of weight 0 come
    /// last, in configuration order (failover only). LiteLLM's `simple-shuffle`.
    case weighted
    /// Lowest moving average of latency first (TTFT or total, see
    /// ``RoutingConfiguration/latencyMetric``). Deployments not measured yet, or not for
    /// ``RoutingConfiguration/latencyStaleAfter``, come first, to be explored. LiteLLM's
    /// `latency-based-routing`.
    case leastLatency = "least_latency"
    /// Fewest requests in flight first. LiteLLM's `least-busy`.
    case leastBusy = "least_busy"
    /// Two eligible deployments drawn at random; the one with fewer requests in flight wins, then
    /// the faster (an unmeasured one counts as fastest), then the first drawn. The other of the
    /// two comes second; the rest follow, fewest in flight first.
    case powerOfTwoChoices = "power_of_two_choices"
    /// Cheapest first, among the deployments that meet the latency objective.
    ///
    /// Price: ``RoutingConfiguration/Deployment/price``, a blended price per token (see
    /// ``ModelPrice/blendedRate``); a deployment without a price counts as dearer than every
    /// priced one. Latency: the moving average ``RoutingStrategy/leastLatency`` compares (by
    /// default TTFT, or total latency for a deployment seen only in non-streamed answers). A
    /// deployment *meets* ``RoutingConfiguration/latencyObjective`` when its average is at or
    /// under it, or when it has fewer than ``RoutingConfiguration/latencyObjectiveMinSamples``
    /// samples, or its latest sample is older than ``RoutingConfiguration/latencyStaleAfter``
    /// (so a new or recovered deployment is tried). Those that meet it come first, cheapest
    /// first; the others follow, fastest first, so when none meets it the fastest is the first
    /// choice. Without an objective every deployment meets it: cheapest first. Ties go to
    /// configuration order.
    case leastCost = "least_cost"
}

/// Which latency ``RoutingStrategy/leastLatency`` compares.
public enum LatencyMetric: String, Sendable, Equatable, CaseIterable {
    /// Time to first token; a deployment with no TTFT sample (only non-streamed answers) is
    /// compared by its total latency.
    case timeToFirstToken = "ttft"
    /// Time to the end of the answer.
    case total
}
