/** Server-rendered SVG loss chart (train and validation by step) for the `/training` page. */
import { type ChartGeometry, chartGeometry, type Series } from "../ml/loss_chart.ts";

/** Props: the series to draw and an accessible title. */
export interface LossChartProps {
  series: Series[];
  title: string;
}

/**
 * An inline SVG line chart; no JavaScript. Drawn twice, 640×320 and 320×240, and CSS shows one: an SVG
 * scales its text with its box, so the wide chart shrunk to a phone's width would have 5 px labels.
 */
export default function LossChart({ series, title }: LossChartProps) {
  return (
    <>
      <ChartSvg g={chartGeometry(series)} title={title} variant="wide" />
      <ChartSvg g={chartGeometry(series, 320, 240)} title={title} variant="narrow" />
    </>
  );
}

function ChartSvg({ g, title, variant }: { g: ChartGeometry; title: string; variant: "wide" | "narrow" }) {
  return (
    <svg
      class={`loss-chart loss-chart-${variant}`}
      role="img"
      aria-label={title}
      width={g.width}
      height={g.height}
      viewBox={`0 0 ${g.width} ${g.height}`}
      font-size="11"
    >
      <title>{title}</title>
      <line x1={g.left} y1={g.bottom} x2={g.right} y2={g.bottom} stroke="currentColor" stroke-opacity="0.5" />
      <line x1={g.left} y1={g.top} x2={g.left} y2={g.bottom} stroke="currentColor" stroke-opacity="0.5" />
      {g.yTicks.map((t) => (
        <g key={`y${t.label}`}>
          <line x1={g.left} y1={t.pos} x2={g.right} y2={t.pos} stroke="currentColor" stroke-opacity="0.1" />
          <text x={g.left - 6} y={t.pos + 4} text-anchor="end" fill="currentColor">{t.label}</text>
        </g>
      ))}
      {g.xTicks.map((t) => (
        <text key={`x${t.label}`} x={t.pos} y={g.bottom + 14} text-anchor="middle" fill="currentColor">
          {t.label}
        </text>
      ))}
      <text x={(g.left + g.right) / 2} y={g.height - 6} text-anchor="middle" fill="currentColor">step</text>
      {g.lines.map((l) => (
        <polyline
          key={l.label}
          class={`loss-series-${l.label}`}
          fill="none"
          stroke={l.color}
          stroke-width="1.5"
          points={l.points}
        />
      ))}
      {g.lines.map((l, i) => (
        <text
          key={`k${l.label}`}
          class={`loss-series-${l.label}`}
          x={g.right - 4}
          y={g.top + 12 + i * 14}
          text-anchor="end"
          fill={l.color}
        >
          {l.label}
        </text>
      ))}
    </svg>
  );
}
