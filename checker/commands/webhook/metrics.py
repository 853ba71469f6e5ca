"""The webhook's Prometheus metrics (prometheus-client, text format at GET /metrics): reviews by verdict,
findings by rule, review latency, reviews in flight, ready workers, worker restarts and certificate expiry.

The per-review numbers are plain counts kept by the event loop and turned into metric families when
/metrics is read (a custom collector): prometheus-client's own counters lock and check on every increment,
which cost a tenth of the server's time per review.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Seconds; the API server's webhook timeout is 10 s by default and at most 30 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
VERDICTS_HELP = (
    "AdmissionReview requests answered, by verdict (allowed, warned, denied, unchecked, skipped, invalid, "
    "too_large, body_timeout, timeout_denied, timeout_allowed, failed)."
)


class Metrics:
    """The webhook's numbers, in a registry of their own (tests make several servers in one process)."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: one per counter
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # resident memory, CPU, open files of the server process
        self.reviews: dict[str, int] = {}
        self.findings: dict[tuple[str, str], int] = {}
        self.denials: dict[str, int] = {}
        self.latency_buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one: above every bound
        self.latency_sum = 0.0
        self.in_flight = 0
        self.workers_ready = 0
        self.certificate_expiry: float | None = None
        self.registry.register(_ReviewCollector(self))
        self.worker_restarts = Counter(
            "kubecheck_webhook_worker_restarts",
            "Review workers replaced, by reason (timeout: killed at the review budget; exited; cancelled).",
            ["reason"],
            registry=self.registry,
        )
        self.certificate_reloads = Counter(
            "kubecheck_webhook_certificate_reloads",
            "Serving certificate reloads from disk, by result (loaded, failed).",
            ["result"],
            registry=self.registry,
        )

    def set_workers_ready(self, count: int) -> None:
        self.workers_ready = count

    def observe(self, verdict: str, seconds: float, findings: list[tuple[str, str, int]], denied_by: list[str]) -> None:
        """One answered review: its verdict and time, its findings (rule, severity, how many), the rules that
        denied it."""
        self.reviews[verdict] = self.reviews.get(verdict, 0) + 1
        self.latency_buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds
        for rule, severity, count in findings:
            self.findings[rule, severity] = self.findings.get((rule, severity), 0) + count
        for rule in denied_by:
            self.denials[rule] = self.denials.get(rule, 0) + 1

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _ReviewCollector(Collector):
    """The per-review counts as metric families, built when /metrics is read."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        metrics = self.metrics
        reviews = CounterMetricFamily("kubecheck_webhook_reviews", VERDICTS_HELP, labels=["verdict"])
        for verdict, count in sorted(metrics.reviews.items()):
            reviews.add_metric([verdict], count)
        yield reviews
        findings = CounterMetricFamily(
            "kubecheck_webhook_findings",
            "Findings in answered reviews, by rule and severity.",
            labels=["rule", "severity"],
        )
        for (rule, severity), count in sorted(metrics.findings.items()):
            findings.add_metric([rule, severity], count)
        yield findings
        denials = CounterMetricFamily(
            "kubecheck_webhook_denials", "Reviews denied, by each rule whose findings denied them.", labels=["rule"]
        )
        for rule, count in sorted(metrics.denials.items()):
            denials.add_metric([rule], count)
        yield denials
        cumulative, buckets = 0, []
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), metrics.latency_buckets, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        yield HistogramMetricFamily(
            "kubecheck_webhook_review_duration_seconds",
            "Time from a review request's headers to its answer (reading the body, waiting for a worker, the review).",
            buckets=buckets,
            sum_value=metrics.latency_sum,
        )
        yield GaugeMetricFamily(
            "kubecheck_webhook_reviews_in_flight", "Reviews being read, queued or reviewed.", value=metrics.in_flight
        )
        yield GaugeMetricFamily(
            "kubecheck_webhook_workers_ready",
            "Review worker processes with the rules loaded.",
            value=metrics.workers_ready,
        )
        if metrics.certificate_expiry is not None:
            yield GaugeMetricFamily(
                "kubecheck_webhook_certificate_expiry_timestamp_seconds",
                "When the serving certificate in use expires (Unix time).",
                value=metrics.certificate_expiry,
            )
