import { chi2Sf } from './gamma.js';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Pearson's chi-square test of homogeneity on a contingency table (rows = samples, columns =
 * categories), as `scipy.stats.chi2_contingency(table, correction=False)`: expected counts from
 * the margins, statistic Σ (o − e)² / e, dof = (r − 1)(c − 1), p = chi2.sf(statistic, dof).
 * No Yates correction, whatever the dof (scipy applies it by default only when dof = 1).
 * Columns whose total is zero are dropped first (scipy would refuse a zero expected count).
 * A table with fewer than two non-empty rows or columns has statistic 0, p-value 1.
 */
export function chiSquareHomogeneityImpl(table: ReadonlyArray<ArrayLike<number>>): ChiSquareResult {
  const cols = table.length ? table[0].length : 0;
  const colTotals = new Float64Array(cols);
  const rowTotals = new Float64Array(table.length);
  for (let r = 0; r < table.length; r++) {
    for (let c = 0; c < cols; c++) {
      colTotals[c] += table[r][c];
      rowTotals[r] += table[r][c];
    }
  }
  const keep: number[] = [];
  for (let c = 0; c < cols; c++) if (colTotals[c] > 0) keep.push(c);
  const rows: number[] = [];
  for (let r = 0; r < table.length; r++) if (rowTotals[r] > 0) rows.push(r);
  if (keep.length < 2 || rows.length < 2) return { statistic: 0, pValue: 1, dof: 0 };
  let total = 0;
  for (const r of rows) total += rowTotals[r];
  let statistic = 0;
  for (const r of rows) {
    for (const c of keep) {
      const expected = (rowTotals[r] * colTotals[c]) / total;
      const d = table[r][c] - expected;
      statistic += (d * d) / expected;
    }
  }
  const dof = (rows.length - 1) * (keep.length - 1);
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}
