// An object's YAML, editable; Save is a server-side apply as field manager skiff-dashboard.
// A conflict (another manager owns a changed field, or the object changed since it was read)
// is shown with the server's words, and can then be forced.
import { useEffect, useState } from 'preact/hooks';
import YAML from 'yaml';
import { ApiError, call, describeError, type KObj } from '../api.js';
import { apiVersionOf, type Kind, objectPath } from '../resources.js';

const FIELD_MANAGER = 'skiff-dashboard';

function toYaml(kind: Kind, obj: KObj, hideSecrets: boolean): string {
  const { managedFields: _m, ...metadata } = obj.metadata;
  const o: KObj = { apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind, ...obj, metadata };
  if (hideSecrets && kind.id === 'secrets') {
    for (const f of ['data', 'stringData'] as const) if (o[f]) o[f] = Object.fromEntries(Object.keys(o[f]).map((k) => [k, '(hidden)']));
  }
  return YAML.stringify(o);
}

export function YamlEditor({ kind, obj }: { kind: Kind; obj: KObj }) {
  const secret = kind.id === 'secrets';
  const [hidden, setHidden] = useState(secret);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(() => toYaml(kind, obj, hidden));
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // While not editing, follow the live object.
  useEffect(() => {
    if (!editing) setText(toYaml(kind, obj, hidden));
  }, [obj, hidden, editing]);

  const save = async (force: boolean) => {
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      YAML.parse(text); // a syntax error is reported here, before the round trip
      await call(objectPath(kind, obj.metadata.namespace, obj.metadata.name), {
        method: 'PATCH',
        body: text,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: FIELD_MANAGER, force: force ? 'true' : undefined },
      });
      setEditing(false);
      setConflict(false);
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err : new Error(String(err)));
      setConflict(err instanceof ApiError && err.code === 409);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="yaml">
      <div class="toolbar">
        {secret && hidden ? (
          <button type="button" onClick={() => setHidden(false)}>
            Show secret values
          </button>
        ) : null}
        {!editing ? (
          <button type="button" disabled={hidden} onClick={() => setEditing(true)} title={hidden ? 'Show the values to edit' : ''}>
            Edit
          </button>
        ) : (
          <>
            <button type="button" class="primary" disabled={busy} onClick={() => void save(false)}>
              Save
            </button>
            {conflict ? (
              <button type="button" class="danger" disabled={busy} onClick={() => void save(true)}>
                Force save (take ownership)
              </button>
            ) : null}
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                setEditing(false);
                setError(undefined);
                setConflict(false);
              }}
            >
              Cancel
            </button>
          </>
        )}
      </div>
      {error ? (
        <div class="error" role="alert">
          {conflict ? 'Conflict — ' : ''}
          {describeError(error)}
        </div>
      ) : null}
      {saved ? (
        <div class="notice" role="status">
          Saved.
        </div>
      ) : null}
      <textarea
        class="code"
        aria-label="YAML"
        spellcheck={false}
        readOnly={!editing}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
    </div>
  );
}
