/**
 * Request counts and latency histograms in the Prometheus text format. Labels are the route
 * pattern (never the path, so no indicator values), the method and the status: bounded sets.
 */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: string;
  count: number;
  sum: number;
  buckets: number[];
}

export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
  render(): string;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function createHttpMetrics(): HttpMetrics {
  const series = new Map<string, Series>();
  return {
    observe(method, route, status, seconds) {
      // keyed on the raw values; labels are escaped once, when a series is first seen
      const key = `${method} ${status} ${route}`;
      let s = series.get(key);
      if (s === undefined) {
        const labels = `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
        s = { labels, count: 0, sum: 0, buckets: LATENCY_BUCKETS.map(() => 0) };
        series.set(key, s);
      }
      s.count += 1;
      s.sum += seconds;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) s.buckets[i]! += 1;
    },
    render() {
      const lines: string[] = [
        '# HELP verdict_http_requests_total HTTP requests answered, by route pattern, method and status.',
        '# TYPE verdict_http_requests_total counter',
      ];
      for (const s of series.values()) lines.push(`verdict_http_requests_total{${s.labels}} ${s.count}`);
      lines.push(
        '# HELP verdict_http_request_duration_seconds Time to answer an HTTP request.',
        '# TYPE verdict_http_request_duration_seconds histogram',
      );
      for (const s of series.values()) {
        LATENCY_BUCKETS.forEach((le, i) => lines.push(`verdict_http_request_duration_seconds_bucket{${s.labels},le="${le}"} ${s.buckets[i]}`));
        lines.push(`verdict_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
        lines.push(`verdict_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
        lines.push(`verdict_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
      }
      return lines.join('\n') + '\n';
    },
  };
}
