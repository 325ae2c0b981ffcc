import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError, NO_REF, SchemaVersionError, SocketFamily, decodeBatch, encodeBatch, type EventBatch,
} from '../../src/index.ts';
import { prng, realisticBatch } from '../batch-fixture.ts';

/** A small batch that still holds every record kind and argument variant, so mutations reach every decoder path. */
function sample(): EventBatch {
  const b = realisticBatch(3, 40);
  b.events.push({
    num: 1, ts: 1n << 70n, type: 0, dir: 0, cpu: 0, tid: 1, proc: NO_REF, fd: NO_REF, res: 0,
    args: [null, -1.5, -(1n << 63n), new Uint8Array([1, 2, 3]), ['ü', '🦅'], { family: SocketFamily.Unix, addr: '/x', port: 0 }],
  });
  return b;
}

/** Decoding must either succeed with a batch that encodes again, or throw one of our errors: nothing else. */
function decodeOrOurError(data: Uint8Array): 'ok' | 'refused' {
  try {
    const batch = decodeBatch(data);
    assert.deepStrictEqual(decodeBatch(encodeBatch(batch)), batch);
    return 'ok';
  } catch (err) {
    if (err instanceof CodecError || err instanceof SchemaVersionError) return 'refused';
    throw err;
  }
}

/** Keeps the header's total length consistent so a mutation gets past the length check into the body. */
function withLength(data: Uint8Array): Uint8Array {
  if (data.length >= 10) new DataView(data.buffer, data.byteOffset, data.byteLength).setUint32(6, data.length, true);
  return data;
}

describe('batch codec fuzz', () => {
  const encoded = encodeBatch(sample());
  const rand = prng(0xc0dec);
  const pick = (n: number) => Math.floor(rand() * n);

  it('refuses every truncation with a CodecError, with or without a consistent header length', () => {
    for (let len = 0; len < encoded.length; len++) {
      assert.equal(decodeOrOurError(encoded.slice(0, len)), 'refused', `raw truncation to ${len}`);
      assert.equal(decodeOrOurError(withLength(encoded.slice(0, len))), 'refused', `truncation to ${len} with fixed length`);
    }
  });

  it('survives 6,000 random byte flips with only our errors', () => {
    let refused = 0;
    for (let i = 0; i < 6_000; i++) {
      const data = encoded.slice();
      const flips = 1 + pick(4);
      // Mostly the body: flips in the magic or version are refused at once and teach little.
      for (let f = 0; f < flips; f++) data[10 + pick(data.length - 10)] = pick(256);
      if (decodeOrOurError(rand() < 0.5 ? withLength(data) : data) === 'refused') refused++;
    }
    assert.ok(refused > 300, `only ${refused} of 6000 mutated batches were refused`);
  });

  it('survives random splices (bytes inserted or removed mid-body)', () => {
    for (let i = 0; i < 1_000; i++) {
      const at = 26 + pick(encoded.length - 26);
      const cut = pick(8);
      const extra = Uint8Array.from({ length: pick(8) }, () => pick(256));
      const data = new Uint8Array([...encoded.subarray(0, at), ...extra, ...encoded.subarray(Math.min(encoded.length, at + cut))]);
      decodeOrOurError(withLength(data));
    }
  });
});
