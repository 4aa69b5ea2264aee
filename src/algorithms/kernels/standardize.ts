/**
 * Per-column mean and population standard deviation of a row-major matrix, ignoring NaN cells.
 * One pass over sums shifted by a value from each column, which keeps the variance accurate when
 * means dwarf the spread (the textbook Σx² − (Σx)²/n would cancel catastrophically). NaN cells
 * are counted on the side so that the hot path updates only the two sums.
 * A column without values gets mean 0 and std 0.
 */
export function columnMomentsImpl(
  x: Float64Array,
  rows: number,
  cols: number,
  outMean: Float64Array,
  outStd: Float64Array,
): void {
  const shift = firstValues(x, rows, cols);
  const nan = new Float64Array(cols);
  const s1 = new Float64Array(cols);
  const s2 = new Float64Array(cols);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    for (let j = 0; j < cols; j++) {
      const v = x[off + j] - shift[j];
      if (v === v) {
        s1[j] += v;
        s2[j] += v * v;
      } else nan[j]++;
    }
  }
  for (let j = 0; j < cols; j++) {
    const c = rows - nan[j];
    const m = c > 0 ? s1[j] / c : 0;
    outMean[j] = c > 0 ? shift[j] + m : 0;
    outStd[j] = c > 0 ? Math.sqrt(Math.max(0, s2[j] / c - m * m)) : 0;
  }
}

/** Per column, the first non-NaN value (0 for a column without one). */
function firstValues(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols).fill(NaN);
  let missing = cols;
  for (let r = 0; r < rows && missing > 0; r++) {
    for (let j = 0; j < cols; j++) {
      const v = x[r * cols + j];
      if (out[j] !== out[j] && v === v) {
        out[j] = v;
        missing--;
      }
    }
  }
  return out.map((v) => (v === v ? v : 0));
}

/**
 * In place: x ← ((x is NaN ? impute : x) − center) · invScale, per column. NaN cells thereby take
 * the imputed value, which is how missing features are handled in training and prediction alike.
 */
export function standardizeImpl(
  x: Float64Array,
  rows: number,
  cols: number,
  impute: Float64Array,
  center: Float64Array,
  invScale: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = x[off + j];
      x[off + j] = ((v !== v ? impute[j] : v) - center[j]) * invScale[j];
    }
  }
}
