import { useState, type FormEvent } from 'react';
import { api } from '../lib/api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

/** The login screen: the API token, checked against the server, kept in sessionStorage. */
export function Login({ onSignedIn, expired }: { onSignedIn: (token: string) => void; expired: boolean }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.verify(t);
      onSignedIn(t);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Stratus</h1>
        {expired && <p className="notice warn" role="status">Your session ended or the token is no longer valid. Sign in again.</p>}
        <p className="muted">
          Paste an API token. The admin token is printed by <code>npm start</code> the first time and saved in
          <code> .stratus/admin-token</code>. It stays in this browser tab only.
        </p>
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="current-password" autoFocus value={token} onChange={(e) => setToken(e.target.value)} required />
        <button type="submit" className="primary" disabled={busy || !token.trim()}>{busy ? 'Checking…' : 'Sign in'}</button>
        <ErrorNotice error={error} context="Sign-in failed" />
      </form>
    </main>
  );
}
