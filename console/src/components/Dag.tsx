import { useId, type KeyboardEvent } from 'react';
import { layeredLayout, type DagGraph } from '../lib/dag.js';

const NODE_W = 168;
const NODE_H = 48;
const GAP_X = 64;
const GAP_Y = 22;
const PAD = 12;
const LANE = 10;

/** Step status → the pill tone used elsewhere (the word is also written in the box). */
const TONE: Record<string, string> = { Succeeded: 'ok', Failed: 'bad', Executing: 'busy', Stopped: 'warn', Stopping: 'warn', Skipped: 'skipped', Pending: 'pending' };
const EDGE_LABEL: Record<string, string> = { then: 'if true', else: 'if false' };

/**
 * A pipeline's steps as boxes in columns (a step right of what it waits for) with arrows for
 * dependencies; dashed arrows are a condition's branches. With `statuses`, each box is coloured by
 * its step's status. `onSelect` makes the boxes buttons (keyboard too).
 */
export function Dag({ graph, statuses, selected, onSelect, title }: {
  graph: DagGraph; statuses?: Record<string, string>; selected?: string; onSelect?: (step: string) => void; title: string;
}) {
  const id = useId();
  // useId's characters are not all valid in a url(#…) reference.
  const arrow = `dag-arrow-${id.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const { placed, layers, rows } = layeredLayout(graph);
  // An edge that skips a column would cross the boxes between: it runs in a lane below the rows.
  const long = graph.edges.filter((e) => placed.get(e.to)!.layer - placed.get(e.from)!.layer > 1);
  const lane = new Map(long.map((e, i) => [e, i]));
  const width = PAD * 2 + layers * NODE_W + (layers - 1) * GAP_X;
  const rowsBottom = PAD + rows * NODE_H + (rows - 1) * GAP_Y;
  const height = rowsBottom + PAD + (long.length ? LANE * (long.length + 1) : 0);
  const x = (layer: number) => PAD + layer * (NODE_W + GAP_X);
  const y = (row: number) => PAD + row * (NODE_H + GAP_Y);
  const key = (e: KeyboardEvent, name: string) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect?.(name);
    }
  };
  return (
    <figure className="dag" data-testid="dag">
      <figcaption id={id} className="sr-only">{title}</figcaption>
      <div className="dag-scroll">
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-labelledby={id}>
          <defs>
            <marker id={arrow} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="dag-arrowhead" />
            </marker>
          </defs>
          {graph.edges.map((e) => {
            const a = placed.get(e.from)!;
            const b = placed.get(e.to)!;
            const x1 = x(a.layer) + NODE_W;
            const y1 = y(a.row) + NODE_H / 2;
            const x2 = x(b.layer);
            const y2 = y(b.row) + NODE_H / 2;
            const mid = (x1 + x2) / 2;
            const laneAt = lane.get(e);
            const ly = rowsBottom + LANE * ((laneAt ?? 0) + 1);
            const g = GAP_X / 2;
            const d = laneAt === undefined
              ? `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`
              : `M${x1},${y1} C${x1 + g},${y1} ${x1},${ly} ${x1 + g},${ly} L${x2 - g},${ly} C${x2},${ly} ${x2 - g},${y2} ${x2 - 2},${y2}`;
            const labelX = laneAt === undefined ? mid : x2 - g;
            const labelY = laneAt === undefined ? (y1 + y2) / 2 - 4 : ly - 3;
            return (
              <g key={`${e.from}-${e.to}`} className={`dag-edge ${e.kind}`} data-edge={`${e.from}->${e.to}`}>
                <title>{`${e.from} → ${e.to}${e.outputs.length ? ` (${e.outputs.join(', ')})` : ''}${EDGE_LABEL[e.kind] ? `, ${EDGE_LABEL[e.kind]}` : ''}`}</title>
                <path d={d} fill="none" markerEnd={`url(#${arrow})`} />
                {EDGE_LABEL[e.kind] && <text x={labelX} y={labelY} textAnchor="middle" className="dag-edge-label">{EDGE_LABEL[e.kind]}</text>}
              </g>
            );
          })}
          {graph.nodes.map((n) => {
            const p = placed.get(n.name)!;
            const status = statuses?.[n.name];
            const label = `${n.name}, ${n.type} step${status ? `, ${status}` : ''}`;
            return (
              <g
                key={n.name}
                className={`dag-node ${status ? TONE[status] ?? '' : ''}${selected === n.name ? ' selected' : ''}${onSelect ? ' clickable' : ''}`}
                transform={`translate(${x(p.layer)},${y(p.row)})`}
                data-step={n.name}
                data-status={status}
                role={onSelect ? 'button' : 'img'}
                aria-label={label}
                aria-pressed={onSelect ? selected === n.name : undefined}
                tabIndex={onSelect ? 0 : undefined}
                onClick={onSelect ? () => onSelect(n.name) : undefined}
                onKeyDown={onSelect ? (e) => key(e, n.name) : undefined}
              >
                <title>{n.description ? `${label}: ${n.description}` : label}</title>
                <rect width={NODE_W} height={NODE_H} rx={8} />
                <text x={10} y={19} className="dag-name">{n.name.length > 20 ? `${n.name.slice(0, 19)}…` : n.name}</text>
                <text x={10} y={37} className="dag-type">{n.type}{status ? ` · ${status}` : ''}</text>
              </g>
            );
          })}
        </svg>
      </div>
      <ul className="legend">
        <li><span className="swatch" style={{ background: '#64748b' }} />depends on</li>
        <li><span className="swatch dashed" style={{ background: '#64748b' }} />condition branch</li>
        {statuses && <li className="small muted">Box colour: step status (green succeeded, blue running, red failed, grey skipped or pending).</li>}
      </ul>
    </figure>
  );
}
