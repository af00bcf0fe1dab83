// Line charts as self-contained SVG, drawn by vega-lite (no browser, no DOM): axes, scales and
// legends are the library's, not hand-drawn.

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LineChart {
  readonly title: string;
  readonly rows: readonly { readonly [field: string]: string | number }[];
  readonly x: { readonly field: string; readonly title: string; readonly log?: boolean };
  readonly y: { readonly field: string; readonly title: string; readonly log?: boolean };
  /** The field whose values are the lines, one colour each. */
  readonly series: string;
  /** A boolean field: rows where it is true are estimates, drawn as hollow points. */
  readonly estimatedWhen?: string;
}

export async function lineChartSvg(chart: LineChart): Promise<string> {
  // The x axis spans the values measured, not the next power of ten: a grid of 2..128 CPUs
  // would otherwise leave a third of the plot empty.
  const scale = (log?: boolean) => (log ? { type: 'log' as const } : { zero: false });
  const xValues = [...new Set(chart.rows.map((r) => r[chart.x.field]))] as number[];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values: chart.rows.map((row) => ({ ...row })) },
    encoding: {
      x: { field: chart.x.field, type: 'quantitative', title: chart.x.title, scale: { ...scale(chart.x.log), nice: false }, axis: { values: xValues } },
      y: { field: chart.y.field, type: 'quantitative', title: chart.y.title, scale: scale(chart.y.log) },
    },
    layer: [
      { mark: { type: 'line' }, encoding: { color: { field: chart.series, type: 'nominal', title: chart.series } } },
      {
        // Measured points filled; estimated ones hollow (white inside, the line's colour around).
        mark: { type: 'point', filled: true, size: 45, strokeWidth: 1.5 },
        encoding: {
          stroke: { field: chart.series, type: 'nominal' },
          fill: chart.estimatedWhen
            ? { field: chart.series, type: 'nominal', condition: { test: `datum[${JSON.stringify(chart.estimatedWhen)}]`, value: 'white' } }
            : { field: chart.series, type: 'nominal' },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
