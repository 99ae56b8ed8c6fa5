import Testing

@testable import Routing

/// The exposition text of the metrics other modules register.
@Suite struct MetricsTests {
    @Test func registeredMetrics_renderInTheExpositionFormat_withEscapedLabels() {
        let metrics = Metrics()
        metrics.registerGauge("pool_in_use", help: "In use.") { 3 }
        metrics.registerCounter("waits_total", help: "Waits.") { 2.5 }
        metrics.register("open", help: "Open, by kind.", kind: .gauge) {
            [
                MetricSample(1, labels: [("kind", "a\"b\\c\nd"), ("team", "x")]),
                MetricSample(.nan, labels: [("kind", "e")]),
            ]
        }
        let text = metrics.render()
        #expect(text.contains("# HELP pool_in_use In use.\n# TYPE pool_in_use gauge\npool_in_use 3\n"))
        #expect(text.contains("# TYPE waits_total counter\nwaits_total 2.5\n"))
        #expect(text.contains("# TYPE open gauge\nopen{kind=\"a\\\"b\\\\c\\nd\",team=\"x\"} 1\nopen{kind=\"e\"} NaN\n"))
    }

    @Test func aMetricWithoutSeries_stillDeclaresItsType() {
        let metrics = Metrics()
        metrics.register("replica_up", help: "Up.", kind: .gauge) { [] }
        #expect(metrics.render().hasSuffix("# HELP replica_up Up.\n# TYPE replica_up gauge\n"))
    }
}
