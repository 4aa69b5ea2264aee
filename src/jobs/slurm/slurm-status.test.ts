import { describe, expect, it } from 'vitest';
import { nodeCounts, parseNodes, parsePartitions, parseQueue } from './slurm-status.js';

// Outputs as Slurm 22.05 prints them for the formats slurm-status.ts asks for.
describe('Slurm CLI output', () => {
  it('reads partitions, marking the default one', () => {
    const parts = parsePartitions('debug*|up|infinite|1/1/1/3|h[1-3]\ngpu|down|1-00:00:00|0/0/2/2|g[1-2]\n');
    expect(parts).toEqual([
      { name: 'debug', default: true, available: 'up', timeLimit: 'infinite', nodes: { allocated: 1, idle: 1, other: 1, total: 3 }, nodeList: 'h[1-3]' },
      { name: 'gpu', default: false, available: 'down', timeLimit: '1-00:00:00', nodes: { allocated: 0, idle: 0, other: 2, total: 2 }, nodeList: 'g[1-2]' },
    ]);
  });

  it('merges a node listed once per partition, keeps reasons with a bar in them', () => {
    const nodes = parseNodes([
      'h1|debug*|mixed|1/1/0/2|16000|21670|1.45|none',
      'h1|gpu|mixed|1/1/0/2|16000|21670|1.45|none',
      'h2|debug*|drained|0/0/2/2|16000|N/A|N/A|disk swap | fsck',
      'h3|debug*|down*|0/0/2/2|16000|21000|0.00|Not responding',
    ].join('\n'));
    expect(nodes.map((n) => [n.name, n.partitions, n.state, n.reason])).toEqual([
      ['h1', ['debug', 'gpu'], 'mixed', ''],
      ['h2', ['debug'], 'drained', 'disk swap | fsck'],
      ['h3', ['debug'], 'down*', 'Not responding'],
    ]);
    expect(nodes[0].cpus).toEqual({ allocated: 1, idle: 1, other: 0, total: 2 });
    expect(nodes[1].freeMemoryMiB).toBeNull();
    expect(nodes[1].cpuLoad).toBeNull();
    expect(nodes[2].freeMemoryMiB).toBe(21000);
  });

  it('counts nodes that take jobs: not down, drained or unresponsive', () => {
    const nodes = parseNodes([
      'a|p*|idle|0/2/0/2|1|1|0|none', 'b|p*|mixed|1/1/0/2|1|1|0|none', 'c|p*|idle*|0/2/0/2|1|1|0|none',
      'd|p*|drained|0/0/2/2|1|1|0|x', 'e|p*|draining|1/0/1/2|1|1|0|x', 'f|q|idle|0/2/0/2|1|1|0|none', 'g|p*|idle~|0/2/0/2|1|1|0|none',
    ].join('\n'));
    expect(nodeCounts(nodes, 'p')).toEqual({ total: 6, up: 3, idle: 2 });
    expect(nodeCounts(nodes)).toEqual({ total: 7, up: 4, idle: 3 });
  });

  it("reads the queue and names Stratus's jobs", () => {
    const q = parseQueue([
      '12|stratus-bc-1|root|PENDING|3||0:00|5:00|debug|2025-01-02T03:04:05|Resources',
      '13|wrap|alice|RUNNING|1|h1|1:02|UNLIMITED|debug|2025-01-02T03:04:06|None',
    ].join('\n'));
    expect(q[0]).toMatchObject({ id: '12', stratusJob: 'bc-1', state: 'PENDING', nodeCount: 3, nodes: '', reason: 'Resources', timeLimit: '5:00' });
    expect(q[1]).toMatchObject({ id: '13', name: 'wrap', user: 'alice', nodes: 'h1', elapsed: '1:02', reason: '' });
    expect(q[1].stratusJob).toBeUndefined();
  });
});
