import { fmtNum } from './Status.js';

/**
 * A matrix as a table whose cells are shaded by their count (a confusion matrix: rows are the
 * true classes, columns the predicted ones). The numbers stay text; the shade is a visual aid.
 */
export function Heatmap({ title, rowLabels, colLabels, values, rowTitle = 'Actual', colTitle = 'Predicted' }: {
  title: string; rowLabels: string[]; colLabels: string[]; values: number[][]; rowTitle?: string; colTitle?: string;
}) {
  const max = Math.max(1, ...values.flat());
  return (
    <figure className="heatmap-figure">
      <figcaption>{title}</figcaption>
      <div className="table-wrap">
        <table className="heatmap" aria-label={title}>
          <thead>
            <tr><th scope="col" className="corner">{rowTitle} ↓ · {colTitle} →</th>{colLabels.map((c) => <th scope="col" key={c}>{c}</th>)}</tr>
          </thead>
          <tbody>
            {values.map((row, i) => {
              const total = row.reduce((a, b) => a + b, 0);
              return (
                <tr key={rowLabels[i]}>
                  <th scope="row">{rowLabels[i]}</th>
                  {row.map((v, j) => {
                    const shade = v / max;
                    return (
                      <td key={j} className={i === j ? 'diag' : undefined} data-value={v}
                        style={{ background: `rgba(37, 99, 235, ${(0.06 + 0.84 * shade).toFixed(3)})`, color: shade > 0.5 ? '#fff' : undefined }}>
                        <strong>{fmtNum(v)}</strong>
                        {total > 0 && <span className="heat-share">{((v / total) * 100).toFixed(0)} %</span>}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small">Shares are of each actual class (row); the diagonal is correct.</p>
    </figure>
  );
}
