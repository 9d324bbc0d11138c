import Hummingbird
import NIOCore

/// The request context of the simulator's router: Hummingbird's core storage plus the
/// connection's channel, which scripted waits watch and `fault=drop` closes.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = CoreRequestContextStorage(source: source)
        self.channel = source.channel
    }
}
