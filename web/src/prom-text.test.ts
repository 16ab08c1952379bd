import { describe, expect, it } from 'vitest';
import { byLabel, parsePromText } from './prom-text.ts';

const TEXT = `# HELP matrix_nodes Nodes by state
# TYPE matrix_nodes gauge
matrix_nodes{state="up"} 2
matrix_nodes{state="down"} 1
matrix_app_requests_total{app="web"} 120
matrix_app_requests_total{app="a\\"b\\\\c"} 3 1700000000000
matrix_reconcile_duration_seconds_bucket{le="+Inf"} 7
matrix_loop_errors_total 0
process_cpu_seconds_total 12
matrix_broken{app="x"} not-a-number

`;

describe("the dashboard's reading of GET /metrics", () => {
  it('keeps the matrix_ samples with their labels (escapes undone) and values, and nothing else', () => {
    expect(parsePromText(TEXT)).toEqual([
      { name: 'matrix_nodes', labels: { state: 'up' }, value: 2 },
      { name: 'matrix_nodes', labels: { state: 'down' }, value: 1 },
      { name: 'matrix_app_requests_total', labels: { app: 'web' }, value: 120 },
      { name: 'matrix_app_requests_total', labels: { app: 'a"b\\c' }, value: 3 }, // a timestamp after the value is allowed
      { name: 'matrix_reconcile_duration_seconds_bucket', labels: { le: '+Inf' }, value: 7 },
      { name: 'matrix_loop_errors_total', labels: {}, value: 0 },
    ]);
  });

  it('gives one series by one label', () => {
    expect(byLabel(parsePromText(TEXT), 'matrix_nodes', 'state')).toEqual(
      new Map([
        ['up', 2],
        ['down', 1],
      ]),
    );
    expect(byLabel(parsePromText(TEXT), 'matrix_nodes', 'app')).toEqual(new Map());
  });
});
