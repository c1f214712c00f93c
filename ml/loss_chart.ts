/**
 * Loss curves as a chart: the geometry (scales, polyline points, ticks) computed once, and a plain SVG
 * string written into each run folder (`loss.svg`). The `/training` page draws the same geometry with
 * Preact (`components/LossChart.tsx`).
 */

/** One named series of (step, loss) points. */
export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

/** Everything needed to draw the chart. */
export interface ChartGeometry {
  width: number;
  height: number;
  /** Plot area. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  xTicks: Array<{ pos: number; label: string }>;
  yTicks: Array<{ pos: number; label: string }>;
  lines: Array<{ label: string; color: string; points: string }>;
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/** Lays out `series` in a width×height box (train and validation loss by step). */
export function chartGeometry(series: readonly Series[], width = 640, height = 320): ChartGeometry {
  const left = 52, right = width - 16, top = 16, bottom = height - 36;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
  if (y1 - y0 < 1e-6) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const sx = (x: number) => left + ((x - x0) / Math.max(x1 - x0, 1e-9)) * (right - left);
  const sy = (y: number) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
  return {
    width,
    height,
    left,
    right,
    top,
    bottom,
    xTicks: niceTicks(x0, x1, 6).map((v) => ({ pos: sx(v), label: fmt(v) })),
    yTicks: niceTicks(y0, y1, 5).map((v) => ({ pos: sy(v), label: fmt(v) })),
    lines: series.map((s) => ({
      label: s.label,
      color: s.color,
      points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
        .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" "),
    })),
  };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A standalone SVG document of the chart. */
export function chartSvg(series: readonly Series[], title: string): string {
  const g = chartGeometry(series);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<line x1="${g.left}" y1="${g.bottom}" x2="${g.right}" y2="${g.bottom}" stroke="#888"/>`,
    `<line x1="${g.left}" y1="${g.top}" x2="${g.left}" y2="${g.bottom}" stroke="#888"/>`,
    ...g.xTicks.map((t) =>
      `<text x="${t.pos.toFixed(1)}" y="${g.bottom + 14}" text-anchor="middle">${esc(t.label)}</text>`
    ),
    ...g.yTicks.map((t) =>
      `<line x1="${g.left}" y1="${t.pos.toFixed(1)}" x2="${g.right}" y2="${
        t.pos.toFixed(1)
      }" stroke="#eee"/>` +
      `<text x="${g.left - 6}" y="${(t.pos + 4).toFixed(1)}" text-anchor="end">${esc(t.label)}</text>`
    ),
    `<text x="${(g.left + g.right) / 2}" y="${g.height - 6}" text-anchor="middle">step</text>`,
    ...g.lines.map((l) =>
      `<polyline fill="none" stroke="${esc(l.color)}" stroke-width="1.5" points="${l.points}"/>`
    ),
    ...g.lines.map((l, i) =>
      `<text x="${g.right - 4}" y="${g.top + 12 + i * 14}" text-anchor="end" fill="${esc(l.color)}">${
        esc(l.label)
      }</text>`
    ),
    `</svg>`,
  ];
  return parts.join("\n") + "\n";
}
