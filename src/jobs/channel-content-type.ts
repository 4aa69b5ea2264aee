/**
 * A channel's content type carries how built-in algorithms read CSV: `text/csv` is SageMaker's
 * label-first, header-less convention; `text/csv;header=present;target=<column>` names the label
 * column of a file with a header.
 */
export function channelContentType(opts: { header: boolean; targetColumn?: string; contentType?: string }): string {
  const base = opts.contentType ?? 'text/csv';
  if (!opts.header) return base;
  return `${base};header=present${opts.targetColumn ? `;target=${encodeURIComponent(opts.targetColumn)}` : ''}`;
}

export function parseChannelContentType(value: string | undefined): { contentType: string; header: boolean; targetColumn?: string } {
  const [type, ...params] = (value ?? 'text/csv').split(';').map((s) => s.trim());
  const map = new Map(params.map((p) => p.split('=', 2) as [string, string]));
  const target = map.get('target');
  return {
    contentType: type || 'text/csv',
    header: map.get('header') === 'present',
    ...(target ? { targetColumn: decodeURIComponent(target) } : {}),
  };
}
