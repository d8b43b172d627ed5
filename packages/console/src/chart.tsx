/**
 * A small SVG line chart (no library): one line per series over a shared time axis, the y axis
 * from zero to the largest value. Colours come from the style sheet (series-0…5), never from
 * inline styles (the Content-Security-Policy forbids them). For screen readers the chart is an
 * image whose label gives each series' latest value; `data-latest` carries the same for tests.
 */

export interface Series {
  name: string;
  /** [time ms, value] */
  points: [number, number][];
}

const W = 560;
const H = 180;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function LineChart({ title, unit, series }: { title: string; unit: string; series: Series[] }) {
  const all = series.flatMap((s) => s.points);
  const t0 = Math.min(...all.map((p) => p[0]), Date.now() - 60_000);
  const t1 = Math.max(...all.map((p) => p[0]), t0 + 1);
  const max = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const x = (t: number): number => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <figure class="chart">
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-caption ${id}-latest`}
        data-latest={series.map((s) => s.points[s.points.length - 1]?.[1] ?? 0).join(',')}
        data-points={all.length}
      >
        <line class="axis" x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={y(0)} />
        <line class="grid" x1={PAD.left} y1={y(max / 2)} x2={W - PAD.right} y2={y(max / 2)} />
        <text class="tick" x={PAD.left - 4} y={y(max) + 4} text-anchor="end">
          {fmt(max)}
        </text>
        <text class="tick" x={PAD.left - 4} y={y(0)} text-anchor="end">
          0
        </text>
        <text class="tick" x={W - PAD.right} y={H - 4} text-anchor="end">
          now
        </text>
        <text class="tick" x={PAD.left} y={H - 4}>
          {Math.round((t1 - t0) / 1000)} s ago
        </text>
        {series.map((s, i) => (
          <polyline
            key={s.name}
            class={`line series-${i % 6}`}
            points={s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
      <ul class="legend" id={`${id}-latest`}>
        {series.map((s, i) => (
          <li key={s.name}>
            <span class={`swatch series-${i % 6}`} aria-hidden="true" /> {s.name}:{' '}
            {fmt(s.points[s.points.length - 1]?.[1] ?? 0)} {unit}
          </li>
        ))}
      </ul>
    </figure>
  );
}
