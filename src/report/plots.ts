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
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: chart.x.field, type: 'quantitative', title: chart.x.title, scale: { ...scale(chart.x.log), nice: false }, axis: { values: xValues } },
      y: { field: chart.y.field, type: 'quantitative', title: chart.y.title, scale: scale(chart.y.log) },
      color: { field: chart.series, type: 'nominal', title: chart.series },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
