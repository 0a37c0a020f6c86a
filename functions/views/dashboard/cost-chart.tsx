import type { DayCost } from "../../services/dashboard-data.js";
import { axisUsd, micros, niceStep, shortDay, usd } from "./format.js";

const WIDTH = 960;
const HEIGHT = 300;
const LEFT = 78;
const RIGHT = 12;
const TOP = 14;
const BOTTOM = 34;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;

/**
 * Daily cost as an inline SVG bar chart, one bar per UTC day of the range. Each bar carries its
 * day and exact cost (`data-day`, `data-cost-usd`) and a `<title>` that browsers show on hover.
 */
export function CostChart(props: { days: DayCost[] }) {
  const values = props.days.map((d) => micros(d.cost_usd));
  const step = niceStep(Math.max(0, ...values));
  const top = step * Math.max(1, Math.ceil(Math.max(0, ...values) / step));
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const band = PLOT_W / Math.max(1, props.days.length);
  const barWidth = Math.max(1, band * 0.72);
  const labelEvery = Math.max(1, Math.ceil(props.days.length / 12));
  const y = (v: number) => TOP + PLOT_H - (v / top) * PLOT_H;
  const empty = values.every((v) => v === 0);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Daily cost from ${props.days[0]?.day ?? ""} to ${props.days.at(-1)?.day ?? ""}`}
      xmlns="http://www.w3.org/2000/svg"
    >
      {ticks.map((t) => (
        <g>
          <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(t)} y2={y(t)} />
          <text x={LEFT - 8} y={y(t) + 4} text-anchor="end">
            {axisUsd(t)}
          </text>
        </g>
      ))}
      <line class="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={TOP + PLOT_H} y2={TOP + PLOT_H} />
      {props.days.map((d, i) => {
        const value = values[i] ?? 0;
        // A day that cost anything stays visible, however small next to the tallest.
        const height = value === 0 ? 0 : Math.max(1.5, (value / top) * PLOT_H);
        const x = LEFT + i * band + (band - barWidth) / 2;
        return (
          <rect
            class="bar"
            x={x.toFixed(2)}
            y={(TOP + PLOT_H - height).toFixed(2)}
            width={barWidth.toFixed(2)}
            height={height.toFixed(2)}
            data-day={d.day}
            data-cost-usd={d.cost_usd}
            data-executions={d.executions}
          >
            <title>{`${d.day}: ${usd(d.cost_usd)}, ${d.executions} execution${d.executions === 1 ? "" : "s"}`}</title>
          </rect>
        );
      })}
      {props.days.map((d, i) =>
        // Counted from the last day, so that the newest day is always labelled.
        (props.days.length - 1 - i) % labelEvery === 0 ? (
          <text x={(LEFT + i * band + band / 2).toFixed(2)} y={HEIGHT - 12} text-anchor="middle">
            {shortDay(d.day)}
          </text>
        ) : null,
      )}
      {empty ? (
        <text x={LEFT + PLOT_W / 2} y={TOP + PLOT_H / 2} text-anchor="middle" class="empty">
          No settled executions in this range
        </text>
      ) : null}
    </svg>
  );
}
