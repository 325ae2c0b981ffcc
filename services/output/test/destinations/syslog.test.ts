/** RFC 5424 syslog over real UDP, TCP and unix sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@peregrine/event';
import { formatRfc5424, SyslogDestination, type SyslogOptions } from '../../src/destinations/syslog.ts';

const alert: Alert = { uuid: '6b1d2c3e-0000-4000-8000-000000000001', time: '2026-11-28T10:36:52.123456789Z', rule: 'Terminal shell in container',
  priority: 'Warning', source: 'syscall', hostname: 'node-a', output: 'A shell was spawned (user="root" shell=sh)', tags: [], output_fields: {} };
const opts = (o: Partial<SyslogOptions>): SyslogOptions => ({ transport: 'udp', host: '127.0.0.1', port: 0, path: '', facility: 16, framing: 'octet-counting', format: 'text', appName: 'peregrine', ...o });
const EXPECTED = `<132>1 2026-11-28T10:36:52.123456Z node-a peregrine ${process.pid} terminal_shell_in_container [peregrine@32473 rule="Terminal shell in container" priority="Warning" source="syscall" uuid="6b1d2c3e-0000-4000-8000-000000000001"] 10:36:52.123456789: Warning A shell was spawned (user="root" shell=sh)`;

test('RFC 5424 line: PRI from facility and priority, microsecond timestamp, escaped structured data', () => {
  assert.equal(formatRfc5424(alert, opts({}), process.pid), EXPECTED);
  const odd = formatRfc5424({ ...alert, priority: 'Emergency', rule: 'a "b" ]c\\', hostname: '' }, opts({ facility: 4 }), 7);
  assert.match(odd, /^<32>1 \S+ - peregrine 7 a_b_c \[peregrine@32473 rule="a \\"b\\" \\]c\\\\" /);
});

test('UDP: one datagram per alert', async (t) => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const d = new SyslogDestination('s', opts({ port: sock.address().port }));
  t.after(() => { d.close(); sock.close(); });
  const got = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
  await d.send(alert);
  assert.equal(await got, EXPECTED);
});

function streamServer(listen: (s: Server) => void): Promise<{ server: Server; data: () => string; drop: () => void }> {
  let data = '';
  const open = new Set<Socket>();
  const server = createServer((c) => {
    open.add(c);
    c.on('close', () => open.delete(c));
    c.on('data', (d) => { data += d; });
  });
  const drop = () => { for (const c of open) c.destroy(); };
  return new Promise((r) => { server.once('listening', () => r({ server, data: () => data, drop })); listen(server); });
}

test('TCP: octet-counting frames; a dropped connection is re-established on the next send', async (t) => {
  const { server, data, drop } = await streamServer((s) => s.listen(0, '127.0.0.1'));
  const d = new SyslogDestination('s', opts({ transport: 'tcp', port: (server.address() as { port: number }).port }));
  t.after(() => { d.close(); server.close(); });
  await d.send(alert);
  await d.send(alert);
  await new Promise((r) => setTimeout(r, 50));
  const frame = `${Buffer.byteLength(EXPECTED)} ${EXPECTED}`;
  assert.equal(data(), frame + frame);
  // The server drops every connection; the destination notices the close and connects anew.
  drop();
  await new Promise((r) => setTimeout(r, 50));
  await d.send(alert);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(data(), frame + frame + frame);
});

test('unix stream socket: newline framing; a missing socket is a delivery error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-syslog-'));
  const path = join(dir, 'log.sock');
  const { server, data } = await streamServer((s) => s.listen(path));
  const d = new SyslogDestination('s', opts({ transport: 'unix', path, framing: 'newline' }));
  const missing = new SyslogDestination('m', opts({ transport: 'unix', path: join(dir, 'nope.sock'), framing: 'newline' }));
  t.after(() => { d.close(); server.close(); rmSync(dir, { recursive: true, force: true }); });
  await d.send(alert);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(data(), `${EXPECTED}\n`);
  await assert.rejects(missing.send(alert), /destination m: syslog unix: connect ENOENT/);
});
