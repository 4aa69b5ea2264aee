import { useRouter } from '../lib/router.js';

/** A list page's status filter (kept in the URL's `?status=`) and its Refresh button. */
export function StatusFilter({ status, statuses, path, onRefresh }: { status: string; statuses: readonly string[]; path: string; onRefresh: () => void }) {
  const { navigate } = useRouter();
  return (
    <div className="row">
      <div className="field">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={status} onChange={(e) => navigate(e.target.value ? `${path}?status=${e.target.value}` : path, true)}>
          <option value="">All</option>
          {statuses.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      <button type="button" onClick={onRefresh}>Refresh</button>
    </div>
  );
}
