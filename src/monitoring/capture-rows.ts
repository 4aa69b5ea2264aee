/**
 * Reads data-capture records (serving/capture.ts) back into request rows: the endpoint input's
 * `data`, decoded by `encoding` (CSV / JSON text, or BASE64 then read by `observedContentType`).
 * CSV: one row per line. JSON: `{"instances":[…]}` (each a `{"features":[…]}`, an array or an
 * object), an array of rows, one row (array of scalars or object), or JSON lines. A row is either
 * positional (values in feature order) or an object keyed by feature name.
 */

export type CapturedRow = Array<string | number | boolean | null> | Record<string, unknown>;

export interface ParsedCapture {
  rows: CapturedRow[];
  /** Records whose input could not be read. */
  skipped: number;
}

/** Splits one CSV line, honouring double quotes (`""` inside quotes is a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function jsonRows(v: unknown): CapturedRow[] | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    if (v.every((x) => x === null || ['number', 'string', 'boolean'].includes(typeof x))) return [v as CapturedRow];
    const rows: CapturedRow[] = [];
    for (const x of v) {
      const r = jsonRow(x);
      if (!r) return undefined;
      rows.push(r);
    }
    return rows;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.instances)) return jsonRows(o.instances.map((x) => jsonRow(x) ?? x));
    const r = jsonRow(o);
    return r ? [r] : undefined;
  }
  return undefined;
}

function jsonRow(x: unknown): CapturedRow | undefined {
  if (Array.isArray(x)) return x as CapturedRow;
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (Array.isArray(o.features)) return o.features as CapturedRow;
    return o;
  }
  return undefined;
}

/** Rows of one request body given its content type. */
export function rowsOfBody(text: string, contentType: string): CapturedRow[] | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'text/csv') {
    return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => splitCsvLine(l).map((c) => c.trim()));
  }
  if (type === 'application/jsonlines' || type === 'application/x-jsonlines') {
    const rows: CapturedRow[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      const r = jsonRows(JSON.parse(line));
      if (!r) return undefined;
      rows.push(...r);
    }
    return rows;
  }
  if (type === 'application/json') return jsonRows(JSON.parse(text));
  return undefined;
}

/** Parses one capture object (JSON lines of capture records). */
export function parseCaptureObject(text: string): ParsedCapture {
  const out: ParsedCapture = { rows: [], skipped: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as { captureData?: { endpointInput?: { observedContentType?: string; data?: string; encoding?: string } } };
      const input = record.captureData?.endpointInput;
      if (!input || typeof input.data !== 'string') {
        out.skipped++;
        continue;
      }
      const text = input.encoding === 'BASE64' ? Buffer.from(input.data, 'base64').toString('utf8') : input.data;
      const rows = rowsOfBody(text, input.observedContentType ?? (input.encoding === 'CSV' ? 'text/csv' : 'application/json'));
      if (rows) out.rows.push(...rows);
      else out.skipped++;
    } catch {
      out.skipped++;
    }
  }
  return out;
}
