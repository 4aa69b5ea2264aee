/** A tiny SVG histogram (bin edges + counts from the dataset statistics). */
export function Histogram({ edges, counts, label }: { edges: number[]; counts: number[]; label: string }) {
  const max = Math.max(1, ...counts);
  const w = 120;
  const h = 32;
  const bw = w / Math.max(1, counts.length);
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`histogram of ${label}: ${counts.length} bins from ${edges[0]} to ${edges.at(-1)}`} className="hist">
      {counts.map((c, i) => {
        const bh = (c / max) * (h - 2);
        return <rect key={i} x={i * bw + 0.5} y={h - bh} width={Math.max(1, bw - 1)} height={bh}><title>{`${edges[i]} – ${edges[i + 1]}: ${c}`}</title></rect>;
      })}
    </svg>
  );
}
