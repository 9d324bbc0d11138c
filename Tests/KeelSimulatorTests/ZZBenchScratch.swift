import Foundation
import KeelSimulator
import Logging
import Testing

// Temporary: serves on a fixed port for a manual load test; removed before hand-off.
@Test(.enabled(if: ProcessInfo.processInfo.environment["KEEL_SIM_BENCH"] != nil))
func benchServe() async throws {
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let simulator = KeelSimulator(configuration: SimulatorConfiguration(port: 18089), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await simulator.run() }
        try await Task.sleep(for: .seconds(40))
        group.cancelAll()
    }
}
