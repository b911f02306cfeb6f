// A shell in a container: xterm.js over the exec WebSocket (v5.channel.k8s.io, or v4). The
// bearer token rides in the subprotocol list, since browsers cannot set headers on WebSockets.
// Frames are binary: one channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize,
// 255 close in v5) and the data.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type KObj, session } from '../api.js';
import { containerNames } from './pod-logs.js';

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function Terminal({ pod }: { pod: KObj }) {
  const names = containerNames(pod);
  const [container, setContainer] = useState(pod.spec?.containers?.[0]?.name ?? '');
  const [command, setCommand] = useState('sh');
  const [session_, setSession] = useState(0);
  const [status, setStatus] = useState('connecting…');
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!host.current) return;
    const term = new XTerm({ convertEol: false, cursorBlink: true, fontSize: 13 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current);
    fit.fit();
    const { name, namespace } = pod.metadata;
    const q = new URLSearchParams({ container, stdin: 'true', stdout: 'true', stderr: 'false', tty: 'true' });
    for (const part of command.trim().split(/\s+/)) q.append('command', part);
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name)}/exec?${q}`;
    const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    const token = session.token();
    if (token) protocols.push(`base64url.bearer.authorization.k8s.io.${base64url(token)}`);
    const ws = new WebSocket(url, protocols);
    ws.binaryType = 'arraybuffer';
    const enc = new TextEncoder();
    const sendChannel = (ch: number, data: Uint8Array) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const frame = new Uint8Array(data.length + 1);
      frame[0] = ch;
      frame.set(data, 1);
      ws.send(frame);
    };
    const resize = () => sendChannel(4, enc.encode(JSON.stringify({ Width: term.cols, Height: term.rows })));
    ws.onopen = () => {
      setStatus(`connected (${ws.protocol || 'no subprotocol'})`);
      resize();
      term.focus();
    };
    ws.onmessage = (e) => {
      const data = new Uint8Array(e.data as ArrayBuffer);
      if (data.length === 0) return;
      const ch = data[0];
      const body = data.subarray(1);
      if (ch === 1 || ch === 2) term.write(body);
      else if (ch === 3 && body.length) {
        const text = new TextDecoder().decode(body);
        try {
          const st = JSON.parse(text);
          if (st.status !== 'Success') term.write(`\r\n\x1b[31m${st.message ?? text}\x1b[0m\r\n`);
        } catch {
          term.write(`\r\n\x1b[31m${text}\x1b[0m\r\n`);
        }
      }
    };
    ws.onclose = (e) => setStatus(`closed${e.code !== 1000 && e.code !== 1005 ? ` (${e.code}${e.reason ? `: ${e.reason}` : ''})` : ''}`);
    ws.onerror = () => setStatus('connection failed (see the pod events; the container must be running and have the command)');
    const input = term.onData((d) => sendChannel(0, enc.encode(d)));
    const onResize = () => {
      fit.fit();
      resize();
    };
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      input.dispose();
      ws.close();
      term.dispose();
    };
  }, [pod.metadata.uid, container, session_]);

  return (
    <div class="terminal">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setSession(session_ + 1);
        }}
      >
        <select aria-label="Container" value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <input aria-label="Command" value={command} onInput={(e) => setCommand((e.target as HTMLInputElement).value)} />
        <button type="submit">Reconnect</button>
        <span class="muted term-status">{status}</span>
      </form>
      <div class="term-host" ref={host} />
    </div>
  );
}
