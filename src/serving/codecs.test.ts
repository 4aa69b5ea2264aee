import { describe, expect, it } from 'vitest';
import { httpStatusOf, isPlatformError } from '../core/errors.js';
import { formatResponse, jsonErrorAt, negotiateAccept, parseRequest, type ParsedRequest } from './codecs.js';

const rowsOf = ({ features, rows }: ParsedRequest, n: number) =>
  Array.from({ length: rows }, (_, r) => Array.from(features.subarray(r * n, r * n + n)));

function errorOf(f: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (isPlatformError(e)) return e;
    throw e;
  }
  throw new Error('expected a PlatformError');
}

describe('parseRequest: text/csv', () => {
  it('reads one row per line, with CRLF, a final newline and content-type parameters', () => {
    expect(rowsOf(parseRequest('1.5,16.0,14,23.0', 'text/csv', 4), 4)).toEqual([[1.5, 16, 14, 23]]);
    const body = Buffer.from('1,2,3\r\n-4.5,5e-1, 6 \r\n');
    expect(rowsOf(parseRequest(body, 'text/csv; charset=utf-8', 3), 3)).toEqual([
      [1, 2, 3],
      [-4.5, 0.5, 6],
    ]);
    expect(rowsOf(parseRequest('\uFEFF7\n8\n', 'TEXT/CSV', 1), 1)).toEqual([[7], [8]]);
  });

  it('treats an absent content type as CSV', () => {
    expect(parseRequest('1,2', undefined, 2).rows).toBe(1);
  });

  it('names the row and column of a bad or missing value', () => {
    expect(errorOf(() => parseRequest('1,2\n3,abc\n', 'text/csv', 2))).toMatchObject({
      code: 'ValidationError',
      message: "row 2, column 2: 'abc' is not a finite number",
      details: { row: 2, column: 2 },
    });
    expect(errorOf(() => parseRequest('1,,3', 'text/csv', 3)).message).toBe('row 1, column 2: missing value');
    expect(errorOf(() => parseRequest('1, ,3', 'text/csv', 3)).message).toBe('row 1, column 2: missing value');
    expect(errorOf(() => parseRequest('1,Infinity', 'text/csv', 2)).message).toContain('row 1, column 2');
  });

  it('names the row, expected and actual counts of a row of the wrong length', () => {
    expect(errorOf(() => parseRequest('1,2,3\n4,5', 'text/csv', 3))).toMatchObject({
      message: 'row 2 has 2 values, expected 3',
      details: { row: 2, expected: 3, actual: 2 },
    });
    expect(errorOf(() => parseRequest('0,1,2,3,4', 'text/csv', 4)).message).toBe('row 1 has 5 values, expected 4');
    expect(errorOf(() => parseRequest('1,2\n\n3,4', 'text/csv', 2)).message).toBe('row 2 is empty');
  });

  it('rejects an empty body', () => {
    for (const body of ['', '\n', '  \r\n', Buffer.alloc(0)]) {
      expect(errorOf(() => parseRequest(body, 'text/csv', 3))).toMatchObject({ code: 'ValidationError', message: 'request body is empty' });
    }
  });

  it('parses a 1000-row request in well under a millisecond', () => {
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i * 0.5},${i},${-i / 3},${i % 7}`).join('\n'));
    for (let i = 0; i < 200; i++) parseRequest(body, 'text/csv', 4);
    // The best of several batches: other work on a shared machine only ever slows a batch down.
    let best = Infinity;
    for (let batch = 0; batch < 20; batch++) {
      const start = performance.now();
      for (let i = 0; i < 20; i++) parseRequest(body, 'text/csv', 4);
      best = Math.min(best, (performance.now() - start) / 20);
    }
    expect(best).toBeLessThan(1);
  });
});

describe('parseRequest: application/json', () => {
  const n = 3;
  const expected = [
    [1, 2, 3],
    [4, 5, 6],
  ];

  it('reads every documented shape', () => {
    const bodies = [
      '{"instances":[{"features":[1,2,3]},{"features":[4,5,6]}]}',
      '{"instances":[[1,2,3],[4,5,6]]}',
      '{"instances":[{"data":{"features":{"values":[1,2,3]}}},{"data":{"features":{"values":[4,5,6]}}}]}',
      '[[1,2,3],[4,5,6]]',
      '[{"features":[1,2,3]},[4,5,6]]',
    ];
    for (const body of bodies) expect(rowsOf(parseRequest(body, 'application/json', n), n), body).toEqual(expected);
    expect(rowsOf(parseRequest('{"features":[1,2,3]}', 'application/json', n), n)).toEqual([[1, 2, 3]]);
    expect(rowsOf(parseRequest('[1,2,3]', 'application/json', n), n)).toEqual([[1, 2, 3]]);
    expect(parseRequest('{"instances":[]}', 'application/json', n).rows).toBe(0);
  });

  it('reads the sparse form', () => {
    const body = '{"instances":[{"data":{"features":{"keys":[0,2],"shape":[3],"values":[7,9]}}}]}';
    expect(rowsOf(parseRequest(body, 'application/json', n), n)).toEqual([[7, 0, 9]]);
    const bad = '{"instances":[{"data":{"features":{"keys":[5],"shape":[3],"values":[1]}}}]}';
    expect(errorOf(() => parseRequest(bad, 'application/json', n)).message).toContain('row 1: sparse key 5');
  });

  it('names bad values and wrong lengths by row and column', () => {
    expect(errorOf(() => parseRequest('{"instances":[[1,2,3],[4,"5",6]]}', 'application/json', n))).toMatchObject({
      message: 'row 2, column 2: expected a number, got string',
      details: { row: 2, column: 2 },
    });
    expect(errorOf(() => parseRequest('[[1,2,null]]', 'application/json', n)).message).toBe('row 1, column 3: missing value');
    expect(errorOf(() => parseRequest('[[1,2,1e999]]', 'application/json', n)).message).toContain('row 1, column 3');
    expect(errorOf(() => parseRequest('{"instances":[{"features":[1,2]}]}', 'application/json', n)).message).toBe(
      'row 1 has 2 values, expected 3',
    );
    expect(errorOf(() => parseRequest('{"rows":[[1,2,3]]}', 'application/json', n)).message).toContain('expected {"instances"');
  });

  it('gives the position of malformed JSON', () => {
    expect(errorOf(() => parseRequest('{"instances":[[1,2,3],]}', 'application/json', n))).toMatchObject({
      code: 'ValidationError',
      message: 'malformed JSON at position 22 (line 1, column 23): unexpected "]"',
      details: { position: 22, line: 1, column: 23 },
    });
    expect(errorOf(() => parseRequest('{\n "instances": [[1,2,3]', 'application/json', n)).message).toBe(
      'malformed JSON at position 24 (line 2, column 23): unexpected end of input',
    );
  });
});

describe('parseRequest: application/jsonlines', () => {
  it('reads one row per line in any row shape', () => {
    const body = '{"features":[1,2]}\r\n[3,4]\n{"data":{"features":{"values":[5,6]}}}\n';
    expect(rowsOf(parseRequest(body, 'application/jsonlines', 2), 2)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('names the line of malformed JSON and of bad values', () => {
    expect(errorOf(() => parseRequest('[1,2]\n{"features":[1,2}\n', 'application/jsonlines', 2)).message).toBe(
      'row 2: malformed JSON at column 17: unexpected "}"',
    );
    expect(errorOf(() => parseRequest('[1,2]\n[1,true]', 'application/jsonlines', 2)).message).toBe(
      'row 2, column 2: expected a number, got boolean',
    );
  });
});

describe('parseRequest: content types', () => {
  it('answers 415 listing the supported types', () => {
    const err = errorOf(() => parseRequest('1,2', 'application/x-recordio-protobuf', 2));
    expect(err.code).toBe('UnsupportedMediaType');
    expect(err.message).toContain('text/csv, application/json, application/jsonlines');
    expect(errorOf(() => parseRequest('1,2', 'application/octet-stream', 2)).code).toBe('UnsupportedMediaType');
  });
});

describe('negotiateAccept', () => {
  const supported = ['application/json', 'application/jsonlines', 'text/csv'];
  it('falls back when absent or */*', () => {
    expect(negotiateAccept(undefined, supported, 'text/csv')).toBe('text/csv');
    expect(negotiateAccept('', supported, 'text/csv')).toBe('text/csv');
    expect(negotiateAccept('*/*', supported, 'application/json')).toBe('application/json');
  });

  it('honours order, q-values and wildcards', () => {
    expect(negotiateAccept('application/json', supported, 'text/csv')).toBe('application/json');
    expect(negotiateAccept('image/png, text/csv;q=0.5, application/jsonlines;q=0.9', supported, 'text/csv')).toBe(
      'application/jsonlines',
    );
    expect(negotiateAccept('text/*', supported, 'application/json')).toBe('text/csv');
    expect(negotiateAccept('Application/JSON; charset=utf-8', supported, 'text/csv')).toBe('application/json');
    expect(negotiateAccept('text/csv;q=0, */*;q=0.1', supported, 'application/json')).toBe('application/json');
  });

  it('answers 406 when nothing matches', () => {
    const err = errorOf(() => negotiateAccept('image/png, text/html', supported, 'text/csv'));
    expect(err.code).toBe('NotAcceptable');
    expect(err.message).toContain('application/json, application/jsonlines, text/csv');
  });
});

describe('formatResponse', () => {
  const records = [
    { score: 0.4, predicted_label: 0 },
    { score: [0.1, 0.9], predicted_label: 1 },
  ];
  const csvLine = (r: Record<string, number | number[]>) => [r.predicted_label, r.score].flat().join(',');

  it('writes the SageMaker envelopes', () => {
    expect(formatResponse(records, 'application/json', csvLine)).toEqual({
      body: '{"predictions":[{"score":0.4,"predicted_label":0},{"score":[0.1,0.9],"predicted_label":1}]}',
      contentType: 'application/json',
    });
    expect(formatResponse(records, 'application/jsonlines', csvLine).body).toBe(
      '{"score":0.4,"predicted_label":0}\n{"score":[0.1,0.9],"predicted_label":1}\n',
    );
    expect(formatResponse(records, 'text/csv', csvLine)).toEqual({ body: '0,0.4\n1,0.1,0.9\n', contentType: 'text/csv' });
    expect(formatResponse([], 'application/json', csvLine).body).toBe('{"predictions":[]}');
  });
});

// ---------------------------------------------------------------- fuzzing

/** A small seeded PRNG (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['text/csv', 'application/json', 'application/jsonlines'];
const ALPHABET = '0123456789.,-+eE \n\r\t[]{}":nulltruefalsefeatures instances data values keys shape\\u00\u00e9\ud83d\ufeff';

function mutate(body: string, next: () => number): string {
  const chars = [...body];
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (chars.length + 1));
    const pick = ALPHABET[Math.floor(next() * ALPHABET.length)];
    const op = next();
    if (op < 0.4) chars.splice(at, 1);
    else if (op < 0.7) chars.splice(at, 0, pick);
    else chars[at] = pick;
  }
  return chars.join('');
}

function checkCall(body: Buffer | string, type: string, n: number): void {
  let result: ParsedRequest;
  try {
    result = parseRequest(body, type, n);
  } catch (e) {
    if (!isPlatformError(e)) throw new Error(`non-PlatformError for ${JSON.stringify(body.toString())} as ${type}: ${String(e)}`);
    const status = httpStatusOf(e.code);
    if (status < 400 || status > 499) throw new Error(`status ${status} for ${JSON.stringify(body.toString())}`);
    return;
  }
  if (!(result.features instanceof Float64Array) || result.features.length !== result.rows * n) {
    throw new Error(`malformed result for ${JSON.stringify(body.toString())}`);
  }
  if (!result.features.every(Number.isFinite)) throw new Error(`non-finite value for ${JSON.stringify(body.toString())}`);
}

describe('parseRequest fuzz', () => {
  const n = 3;
  const valid: Array<[string, string]> = [
    ['text/csv', '1.5,2,3\n4,5e-3,-6\r\n7,8,9\n'],
    ['application/json', '{"instances":[{"features":[1,2,3]},[4,5,6],{"data":{"features":{"values":[7,8,9]}}}]}'],
    ['application/json', '{"instances":[{"data":{"features":{"keys":[0,2],"shape":[3],"values":[1.5,-2]}}}]}'],
    ['application/json', '[[1,2,3],[4,5,6]]'],
    ['application/jsonlines', '{"features":[1,2,3]}\n[4,5,6]\n{"data":{"features":{"values":[7,8,9]}}}\n'],
  ];

  it('accepts the valid seeds', () => {
    for (const [type, body] of valid) expect(parseRequest(body, type, n).rows).toBeGreaterThan(0);
  });

  it('answers every truncation of a valid body with a result or a 4xx PlatformError', () => {
    for (const [, body] of valid) {
      for (let cut = 0; cut <= body.length; cut++) {
        for (const type of TYPES) checkCall(body.slice(0, cut), type, n);
        checkCall(Buffer.from(body).subarray(0, cut), valid[0][0], n);
      }
    }
  });

  it('answers thousands of random mutations and random byte strings the same way', () => {
    const next = rng(20261125);
    for (let i = 0; i < 6000; i++) {
      const [type, seed] = valid[i % valid.length];
      checkCall(mutate(seed, next), next() < 0.8 ? type : TYPES[i % 3], n);
    }
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
      checkCall(bytes, TYPES[i % 3], 1 + (i % 4));
    }
  });

  it('reads every CSV number exactly as Number() does', () => {
    const next = rng(42);
    const digits = (k: number) => Array.from({ length: k }, () => Math.floor(next() * 10)).join('');
    for (let i = 0; i < 20_000; i++) {
      const int = digits(Math.floor(next() * 12));
      const frac = next() < 0.6 ? `.${digits(Math.floor(next() * 12))}` : '';
      const exp = next() < 0.3 ? `${next() < 0.5 ? 'e' : 'E'}${['', '+', '-'][i % 3]}${Math.floor(next() * 40)}` : '';
      const text = `${['', '-', '+'][i % 3]}${int}${frac}${exp}`;
      const expected = Number(text);
      const call = () => parseRequest(text, 'text/csv', 1).features[0];
      if (Number.isFinite(expected) && text.trim() !== '' && /\d/.test(text)) expect(Object.is(call(), expected), text).toBe(true);
      else expect(call, text).toThrow();
    }
  });

  it('locates JSON errors exactly where JSON.parse fails, and only then', () => {
    const next = rng(7);
    const seeds = [...valid.filter(([t]) => t === 'application/json').map(([, b]) => b), '{"a":"x\\u00e9\\n","b":[true,false,null,-0.5e+3]}'];
    for (let i = 0; i < 5000; i++) {
      const text = mutate(seeds[i % seeds.length], next);
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      expect(jsonErrorAt(text) === -1, text).toBe(parses);
    }
    expect(jsonErrorAt('[' + '['.repeat(100_000))).toBe(100_001);
  });
});
