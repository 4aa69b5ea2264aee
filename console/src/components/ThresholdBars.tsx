/** One bar: `value` on the bar's scale, `text` what is written beside it, `over` past the threshold. */
export interface ThresholdItem { label: string; value: number; text: string; over: boolean }

/**
 * Horizontal bars with a threshold line across them (drift per feature): bars past the line
 * are drawn in the alarm colour and say so in words.
 */
export function ThresholdBars({ title, items, threshold, thresholdText, id }: {
  title: string; items: ThresholdItem[]; threshold: number; thresholdText: string; id?: string;
}) {
  const top = Math.max(threshold * 1.25, ...items.map((i) => i.value)) || 1;
  const at = `${(threshold / top) * 100}%`;
  return (
    <figure className="bars-figure" data-chart={id}>
      <figcaption>{title}</figcaption>
      <ol className="bars threshold-bars" aria-label={title}>
        {items.map((i) => (
          <li key={i.label} className={`bar-row${i.over ? ' over' : ''}`} data-feature={i.label} data-over={i.over}>
            <span className="bar-label" title={i.label}>{i.label}</span>
            <span className="bar-track threshold-track" aria-hidden="true">
              <span className={`bar${i.over ? ' over' : ''}`} style={{ width: `${Math.min(100, (i.value / top) * 100)}%` }} />
              <span className="threshold-line" style={{ left: at }} />
            </span>
            <span className="bar-value">{i.text}{i.over && <span className="sr-only"> (past the threshold)</span>}</span>
          </li>
        ))}
      </ol>
      <p className="muted small"><span className="threshold-key" aria-hidden="true" /> {thresholdText}</p>
    </figure>
  );
}
