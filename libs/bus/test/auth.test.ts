/** nkey and TLS settings against a real nats-server configured for them (keys and a CA made here, per test run). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeys } from 'nats';
import { startNats, type NatsServer } from '../../../tests/support/nats.ts';
import { connectionOptions } from '../src/nats-bus.ts';
import { parseNatsConfig } from '../src/config.ts';
import { BusConfigError } from '../src/errors.ts';

const hasOpenssl = (() => { try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
let dir: string;
const servers: NatsServer[] = [];
before(() => { dir = mkdtempSync(join(tmpdir(), 'peregrine-auth-')); });
after(async () => {
  for (const s of servers) await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('nkey seed file: the server admits the key, refuses another', async () => {
  const user = nkeys.createUser();
  const seedFile = join(dir, 'user.nk');
  writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`);
  const conf = join(dir, 'nkey.conf');
  writeFileSync(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
  const s = await startNats({ jetstream: false, args: ['-c', conf] });
  servers.push(s);
  const nc = await connect(connectionOptions(parseNatsConfig({ servers: s.url, nkeySeedFile: seedFile })));
  await nc.close();
  const other = join(dir, 'other.nk');
  writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
  await assert.rejects(connect({ ...connectionOptions(parseNatsConfig({ servers: s.url, nkeySeedFile: other })), reconnect: false }), /Authorization/i);
  assert.throws(() => connectionOptions(parseNatsConfig({ servers: s.url, nkeySeedFile: join(dir, 'missing.nk') })),
    (e: unknown) => e instanceof BusConfigError && e.key === 'nats.nkeySeedFile');
});

test('TLS with a CA, client certificate and key from config', { skip: hasOpenssl ? false : 'needs the openssl command to make certificates' }, async () => {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=peregrine-test-ca');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n');
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
  const conf = join(dir, 'tls.conf');
  writeFileSync(conf, `tls { cert_file: "${dir}/server.pem", key_file: "${dir}/server.key", ca_file: "${dir}/ca.pem", verify: true }\n`);
  const s = await startNats({ jetstream: false, args: ['-c', conf] });
  servers.push(s);
  const tls = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
  const nc = await connect(connectionOptions(parseNatsConfig({ servers: s.url, tls })));
  assert.equal(nc.info?.tls_required, true);
  await nc.close();
  await assert.rejects(connect({ ...connectionOptions(parseNatsConfig({ servers: s.url, tls: { ca: tls.ca } })), reconnect: false }));
});
