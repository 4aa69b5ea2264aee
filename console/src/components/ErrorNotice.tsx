import { explain } from '../lib/errors.js';

/** An API (or any) error in plain words, with what to do and the request id for the server log. */
export function ErrorNotice({ error, onRetry, context }: { error: unknown; onRetry?: () => void; context?: string }) {
  if (!error) return null;
  const e = explain(error);
  return (
    <div className="notice error" role="alert">
      <strong>{context ? `${context}: ` : ''}{e.title}</strong>
      <p>{e.message}</p>
      <p className="todo">{e.todo}</p>
      {e.requestId && <p className="muted small">Request id: <code>{e.requestId}</code></p>}
      {onRetry && <button type="button" onClick={onRetry}>Retry</button>}
    </div>
  );
}
