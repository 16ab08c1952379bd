/**
 * A live line chart (uPlot on a canvas) over the poller's timeline, with a legend of its
 * own that reads the newest values as text (the canvas says nothing to a screen reader).
 */
import { useEffect, useId, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { clock } from '../format.ts';
import type { Timeline } from '../timeline.ts';

export interface Line {
  key: string;
  label: string;
  colour: string;
  dash?: number[];
}

const HEIGHT = 180;

function axisColour(): string {
  return getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#777';
}

export function Chart({ title, lines, timeline, unit, digits = 0 }: { title: string; lines: Line[]; timeline: Timeline; unit: string; digits?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const id = useId();
  const shape = lines.map((l) => `${l.key}|${l.colour}`).join(',');
  const data = timeline.data(lines.map((l) => l.key));

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: axisColour(), grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } };
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // the samples' times, a minute at least (uPlot would make one sample, the first stats read, a whole day)
          x: {
            time: true,
            range: (u) => {
              const t = u.data[0];
              const lo = t[0] ?? 0;
              const hi = t[t.length - 1] ?? lo;
              return hi - lo < 60 ? [hi - 60, hi] : [lo, hi];
            },
          },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        // times as the events list shows them (24 h, the browser's locale), one row
        axes: [
          { ...axis, space: 70, values: (_u, ticks) => ticks.map((t) => clock(t * 1000)) },
          { ...axis, size: 44 },
        ],
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.colour, width: 2, ...(l.dash ? { dash: l.dash } : {}) }))],
      },
      data,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      {lines.length ? <div ref={box} class="chart-canvas" aria-hidden="true" /> : null}
      {lines.length ? (
        <ul class="chart-legend">
          {lines.map((l) => {
            const v = timeline.latest(l.key);
            return (
              <li key={l.key}>
                <span class="swatch" style={{ background: l.colour }} aria-hidden="true" />
                {l.label}: <strong>{v === undefined ? '–' : v.toFixed(digits)}</strong> {unit}
              </li>
            );
          })}
        </ul>
      ) : (
        <p class="empty">Nothing to chart yet.</p>
      )}
    </figure>
  );
}
