/**
 * HTTP destinations against real local servers: the webhook's falcosidekick body, headers and idempotency key;
 * which statuses are retried; timeouts; mTLS with certificates made by openssl; Slack/generic chat bodies; Loki's
 * push body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Alert } from '@peregrine/event';
import { compileTemplate } from '../../src/alert-format.ts';
import { ChatDestination } from '../../src/destinations/chat.ts';
import { HttpPoster, type HttpOptions } from '../../src/destinations/http-post.ts';
import { LokiDestination } from '../../src/destinations/loki.ts';
import { WebhookDestination } from '../../src/destinations/webhook.ts';
import { DeliveryError } from '../../src/errors.ts';

const alert: Alert = { uuid: '0d9e1c4a-0000-4000-8000-00000000002a', time: '2026-11-28T10:36:52.123456789Z', rule: 'Terminal shell in container',
  priority: 'Warning', source: 'syscall', hostname: 'node-a', output: 'A shell was spawned', tags: ['shell'],
  output_fields: { 'k8s.ns.name': 'prod', 'proc.name': 'sh' } };

interface Req { method: string; url: string; headers: IncomingMessage['headers']; body: string; clientCert?: string }

async function serve(handler: (req: Req, res: ServerResponse) => void, make: (h: (q: IncomingMessage, r: ServerResponse) => void) => Server = createHttp) {
  const reqs: Req[] = [];
  const server = make((q, r) => {
    let body = '';
    q.on('data', (d) => { body += d; });
    q.on('end', () => {
      const peer = (q.socket as TLSSocket).getPeerCertificate?.();
      const req: Req = { method: q.method!, url: q.url!, headers: q.headers, body, clientCert: peer?.subject?.CN as string | undefined };
      reqs.push(req);
      handler(req, r);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { reqs, port, close: () => { server.closeAllConnections(); return new Promise<void>((r) => server.close(() => r())); } };
}

const opts = (url: string, o: Partial<HttpOptions> = {}): HttpOptions => ({ url, headers: {}, timeoutMs: 1000, retries: 0, retryBackoffMs: 10, tls: { insecureSkipVerify: false }, ...o });

test('webhook: POSTs the alert as Falco JSON with configured headers and Idempotency-Key = uuid', async (t) => {
  const srv = await serve((_, res) => res.writeHead(200).end());
  t.after(srv.close);
  const d = new WebhookDestination('w', new HttpPoster('w', opts(`http://127.0.0.1:${srv.port}/hook?x=1`, { headers: { Authorization: 'Bearer t0k' } })), 'Idempotency-Key');
  await d.send(alert);
  d.close();
  const r = srv.reqs[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/hook?x=1');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers.authorization, 'Bearer t0k');
  assert.equal(r.headers['idempotency-key'], alert.uuid);
  assert.deepEqual(JSON.parse(r.body), alert);
});

test('statuses: 5xx/429 are retried with backoff then transient, 4xx is permanent, a slow server times out', async (t) => {
  const codes = [503, 429, 200, 400, 500, 500];
  const srv = await serve((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 500);
    res.writeHead(codes.shift()!).end();
  });
  t.after(srv.close);
  const base = `http://127.0.0.1:${srv.port}`;
  await new HttpPoster('a', opts(`${base}/`, { retries: 2 })).post('{}', 'application/json');
  assert.equal(srv.reqs.length, 3, '503, 429, then 200');
  const permanent = await new HttpPoster('b', opts(`${base}/`, { retries: 2 })).post('{}', 'application/json').catch((e) => e);
  assert.ok(permanent instanceof DeliveryError && permanent.permanent && permanent.status === 400);
  assert.equal(srv.reqs.length, 4, 'a 400 is not retried');
  const transient = await new HttpPoster('c', opts(`${base}/`, { retries: 1 })).post('{}', 'application/json').catch((e) => e);
  assert.ok(transient instanceof DeliveryError && !transient.permanent && transient.status === 500);
  const slow = await new HttpPoster('d', opts(`${base}/slow`, { timeoutMs: 100 })).post('{}', 'application/json').catch((e) => e);
  assert.ok(slow instanceof DeliveryError && !slow.permanent);
  assert.match(slow.message, /no response within 100 ms/);
});

test('mTLS: the webhook presents its client certificate and checks the server against the configured CA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-mtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`);
    ossl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.pem`), '-days', '1', '-extfile', f('san.ext'));
  }
  const srv = await serve((_, res) => res.writeHead(204).end(), (h) => createHttps({
    key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true,
  }, h));
  t.after(srv.close);
  const url = `https://127.0.0.1:${srv.port}/`;
  const withCert = new WebhookDestination('m', new HttpPoster('m', opts(url, { tls: { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key'), insecureSkipVerify: false } })), 'Idempotency-Key');
  await withCert.send(alert);
  withCert.close();
  assert.equal(srv.reqs[0]!.clientCert, 'client');
  const noCert = new WebhookDestination('n', new HttpPoster('n', opts(url, { tls: { caFile: f('ca.pem'), insecureSkipVerify: false } })), 'Idempotency-Key');
  await assert.rejects(noCert.send(alert), DeliveryError);
  noCert.close();
  const noCa = new WebhookDestination('o', new HttpPoster('o', opts(url, { tls: { certFile: f('client.pem'), keyFile: f('client.key'), insecureSkipVerify: false } })), 'Idempotency-Key');
  await assert.rejects(noCa.send(alert), /self.signed|unable to verify|local issuer/);
  noCa.close();
  assert.equal(srv.reqs.length, 1);
});

test('chat: Slack body {"text"} and a generic body field, from the message template', async (t) => {
  const srv = await serve((_, res) => res.writeHead(200).end('ok'));
  t.after(srv.close);
  const url = `http://127.0.0.1:${srv.port}/`;
  const tpl = compileTemplate(':rotating_light: [{{priority}}] {{rule}} in {{output_fields.k8s.ns.name}}', 't');
  await new ChatDestination('slack', new HttpPoster('slack', opts(url)), tpl, 'text', {}).send(alert);
  await new ChatDestination('discord', new HttpPoster('discord', opts(url)), tpl, 'content', { username: 'peregrine' }).send(alert);
  assert.deepEqual(JSON.parse(srv.reqs[0]!.body), { text: ':rotating_light: [Warning] Terminal shell in container in prod' });
  assert.deepEqual(JSON.parse(srv.reqs[1]!.body), { username: 'peregrine', content: ':rotating_light: [Warning] Terminal shell in container in prod' });
});

test('Loki: one labelled stream per alert, nanosecond timestamp from the alert, tenant header', async (t) => {
  const srv = await serve((_, res) => res.writeHead(204).end());
  t.after(srv.close);
  const d = new LokiDestination('loki', new HttpPoster('loki', opts(`http://127.0.0.1:${srv.port}/loki/api/v1/push`, { headers: { 'X-Scope-OrgID': 'team-a' } })), { cluster: 'eu-1' });
  await d.send(alert);
  d.close();
  const r = srv.reqs[0]!;
  assert.equal(r.url, '/loki/api/v1/push');
  assert.equal(r.headers['x-scope-orgid'], 'team-a');
  assert.deepEqual(JSON.parse(r.body), { streams: [{
    stream: { cluster: 'eu-1', rule: 'Terminal shell in container', priority: 'Warning', source: 'syscall', hostname: 'node-a', k8s_ns_name: 'prod' },
    values: [['1795862212123456789', JSON.stringify(alert)]],
  }] });
});
