// A window of a Chrome trace drawn as an SVG timeline, laid out as Perfetto lays it out: one
// track per CPU, nested slices stacked by depth, flow arrows between tracks. For pictures in the
// docs where no browser is at hand; the trace itself opens in ui.perfetto.dev.

import type { ChromeTraceEvent } from './chrome-trace.ts';

export interface TimelineWindow {
  /** The process (strategy run) drawn. */
  readonly pid: number;
  readonly fromUs: number;
  readonly toUs: number;
  readonly title: string;
}

const WIDTH = 1100;
const LABEL_WIDTH = 230;
const ROW = 16;
const TRACK_GAP = 8;
const TOP = 44;
const COLOURS: { readonly [cat: string]: string } = {
  'irqs-off': '#e8a33c',
  ipi: '#4a7fc1',
  idle: '#c9c9c9',
  pmd: '#5aa469',
  tlb: '#9b6fc0',
  violation: '#d43d3d',
};

/** The SVG of `events` in `window`. */
export function timelineSvg(events: readonly ChromeTraceEvent[], window: TimelineWindow): string {
  const { pid, fromUs, toUs } = window;
  const x = (us: number) => LABEL_WIDTH + ((Math.min(Math.max(us, fromUs), toUs) - fromUs) / (toUs - fromUs)) * (WIDTH - LABEL_WIDTH - 10);
  const names = new Map(events.filter((e) => e.pid === pid && e.name === 'thread_name').map((e) => [e.tid ?? 0, String(e.args?.name)]));
  const inWindow = (e: ChromeTraceEvent) => e.pid === pid && (e.ts ?? 0) <= toUs && (e.ts ?? 0) + (e.dur ?? 0) >= fromUs;
  const tids = [...names.keys()].sort((a, b) => a - b);

  // Each slice's depth on its track, from how the slices before it enclose it.
  const placed: { e: ChromeTraceEvent; depth: number }[] = [];
  const depthOfTrack = new Map<number, number>();
  for (const tid of tids) {
    const slices = events.filter((e) => e.tid === tid && e.ph === 'X' && inWindow(e)).sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const open: ChromeTraceEvent[] = [];
    for (const e of slices) {
      while (open.length > 0 && open[open.length - 1].ts! + open[open.length - 1].dur! <= e.ts!) open.pop();
      placed.push({ e, depth: open.length });
      depthOfTrack.set(tid, Math.max(depthOfTrack.get(tid) ?? 0, open.length + 1));
      open.push(e);
    }
  }
  const trackTop = new Map<number, number>();
  let y = TOP;
  for (const tid of tids) {
    trackTop.set(tid, y);
    y += Math.max(1, depthOfTrack.get(tid) ?? 0) * ROW + TRACK_GAP;
  }
  const height = y + 30;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>',
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${escape(window.title)}</text>`,
  ];
  tids.forEach((tid, i) => {
    const top = trackTop.get(tid)!;
    const rows = Math.max(1, depthOfTrack.get(tid) ?? 0);
    if (i % 2 === 0) parts.push(`<rect x="0" y="${top - TRACK_GAP / 2}" width="${WIDTH}" height="${rows * ROW + TRACK_GAP}" fill="#f4f6f8"/>`);
    parts.push(`<text x="8" y="${top + 12}">${escape(fitted(names.get(tid) ?? `CPU ${tid}`, LABEL_WIDTH - 8) ?? '')}</text>`);
  });
  for (const { e, depth } of placed) {
    const [left, right] = [x(e.ts!), x(e.ts! + e.dur!)];
    const top = trackTop.get(e.tid!)! + depth * ROW;
    const fill = COLOURS[e.cat ?? ''] ?? '#888';
    parts.push(`<rect x="${left.toFixed(1)}" y="${top}" width="${Math.max(0.8, right - left).toFixed(1)}" height="${ROW - 2}" fill="${fill}" stroke="white" stroke-width="0.3"><title>${escape(`${e.name} ${e.dur!.toFixed(1)} us`)}</title></rect>`);
    const label = fitted(e.name, right - left);
    if (label) parts.push(`<text x="${(left + 3).toFixed(1)}" y="${top + 11}" fill="white" font-size="10">${escape(label)}</text>`);
  }
  for (const e of events) {
    if (e.ph !== 'i' || !inWindow(e) || e.cat !== 'violation') continue;
    const cx = x(e.ts!);
    parts.push(`<path d="M${cx},${trackTop.get(e.tid!)!} l5,8 l-10,0 z" fill="${COLOURS.violation}"><title>${escape(e.name)}</title></path>`);
  }
  // Flow arrows whose two ends are both in the window.
  const flows = new Map<number, ChromeTraceEvent[]>();
  for (const e of events) if (e.pid === pid && (e.ph === 's' || e.ph === 'f') && e.ts! >= fromUs && e.ts! <= toUs) flows.set(e.id!, [...(flows.get(e.id!) ?? []), e]);
  for (const ends of flows.values()) {
    const [s, f] = [ends.find((e) => e.ph === 's'), ends.find((e) => e.ph === 'f')];
    if (!s || !f || !trackTop.has(s.tid!) || !trackTop.has(f.tid!)) continue;
    const [y1, y2] = [trackTop.get(s.tid!)! + ROW / 2, trackTop.get(f.tid!)! + ROW / 2];
    const colour = s.name === 'ack' ? '#2b8a3e' : '#222';
    parts.push(`<line x1="${x(s.ts!).toFixed(1)}" y1="${y1}" x2="${x(f.ts!).toFixed(1)}" y2="${y2}" stroke="${colour}" stroke-width="0.9" marker-end="url(#arrow)" opacity="0.8"/>`);
  }
  // The time axis, in microseconds from the window's start.
  const span = toUs - fromUs;
  const step = niceStep(span / 8);
  for (let t = 0; t <= span; t += step) {
    parts.push(`<line x1="${x(fromUs + t).toFixed(1)}" y1="${TOP - 10}" x2="${x(fromUs + t).toFixed(1)}" y2="${height - 24}" stroke="#ddd" stroke-width="0.6"/>`);
    parts.push(`<text x="${x(fromUs + t).toFixed(1)}" y="${height - 10}" text-anchor="middle" fill="#555">${formatUs(t)}</text>`);
  }
  parts.push(`<text x="10" y="32" fill="#555">${escape(legend())}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const legend = () => 'orange: IRQs off (a walk) · blue: IPI round, wait, handler · grey: halted · green: PMD, serialize · black arrow: IPI sent -> handled · green arrow: handled -> sender\'s wait';

function fitted(name: string, px: number): string | undefined {
  const chars = Math.floor((px - 6) / 5.6);
  if (chars < 4) return undefined;
  return name.length <= chars ? name : `${name.slice(0, chars - 1)}…`;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
}

const formatUs = (us: number) => (us >= 1000 ? `${+(us / 1000).toFixed(2)} ms` : `${+us.toFixed(1)} us`);

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
