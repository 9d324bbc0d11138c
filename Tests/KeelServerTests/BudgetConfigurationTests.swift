import KeelServer
import Testing

/// The `budgets:` section: defaults, values read, and each invalid value refused with its key.
@Suite("Budget configuration")
struct BudgetConfigurationTests {
    @Test func defaultsAndValuesAreRead() throws {
        #expect(KeelConfiguration().budgets == .init())
        #expect(KeelConfiguration().budgets.reserveOutputTokens == 4_096)
        let configuration = try KeelConfiguration.parse(
            yaml: """
                budgets: { reserve_output_tokens: 512, slice_fraction: 0.2, flush_interval_ms: 250, lease_ttl_ms: 5000, alert_interval_ms: 30000 }
                """,
            environment: [:]
        )
        #expect(
            configuration.budgets
                == .init(
                    reserveOutputTokens: 512,
                    sliceFraction: 0.2,
                    flushInterval: .milliseconds(250),
                    leaseTTL: .seconds(5),
                    alertInterval: .seconds(30)
                )
        )
    }

    @Test(arguments: [
        ("budgets: { reserve_output_tokens: 0 }", "budgets.reserve_output_tokens"),
        ("budgets: { slice_fraction: 0 }", "budgets.slice_fraction"),
        ("budgets: { slice_fraction: 1.5 }", "budgets.slice_fraction"),
        ("budgets: { slice_fraction: lots }", "budgets.slice_fraction"),
        ("budgets: { flush_interval_ms: 5 }", "budgets.flush_interval_ms"),
        ("budgets: { flush_interval_ms: 1000, lease_ttl_ms: 2000 }", "budgets.lease_ttl_ms"),
        ("budgets: { alert_interval_ms: 10 }", "budgets.alert_interval_ms"),
        ("budgets: { limit: 10 }", "budgets.limit"),
    ])
    func invalidBudgetSettingsAreRefusedWithTheirKey(yaml: String, key: String) {
        do {
            _ = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            Issue.record("expected a ConfigurationError for \(key)")
        } catch let error as ConfigurationError {
            #expect(error.issues.map(\.key) == [key], "\(error.issues)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
