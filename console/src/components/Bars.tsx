import { fmtNum } from './Status.js';

/** Horizontal bars (largest first), as a labelled list: the numbers are text, the bars a visual aid. */
export function Bars({ title, items, max = 20 }: { title: string; items: { label: string; value: number }[]; max?: number }) {
  const shown = items.slice(0, max);
  const top = Math.max(...shown.map((i) => Math.abs(i.value)), 0) || 1;
  return (
    <figure className="bars-figure">
      <figcaption>{title}</figcaption>
      <ol className="bars" aria-label={title}>
        {shown.map((i) => (
          <li key={i.label} className="bar-row">
            <span className="bar-label" title={i.label}>{i.label}</span>
            <span className="bar-track" aria-hidden="true"><span className="bar" style={{ width: `${(Math.abs(i.value) / top) * 100}%` }} /></span>
            <span className="bar-value">{fmtNum(i.value)}</span>
          </li>
        ))}
      </ol>
      {items.length > max && <p className="muted small">Showing the {max} most important of {items.length} features.</p>}
    </figure>
  );
}
