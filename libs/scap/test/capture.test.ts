import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EventCursor, openCapture, readCapture, replayBatches, ScapError, type Capture } from '../src/index.ts';

const SCAP_DIR = process.env.PEREGRINE_SCAP_DIR ?? join(import.meta.dirname, '../../../../shared/scap');
const SAMPLE = join(SCAP_DIR, 'libs-curl_google.scap');
const plain = gunzipSync(readFileSync(SAMPLE));

/** Offsets of every event block of the intact capture. */
function eventBlocks(data: Buffer): number[] {
  const c = new EventCursor(openCapture(data));
  const out: number[] = [];
  while (c.next()) out.push(c.blockOffset);
  return out;
}

function replayAll(data: Buffer): { nums: number[]; error: ScapError | null } {
  const nums: number[] = [];
  const gen = replayBatches(openCapture(data));
  for (;;) {
    const r = gen.next();
    if (r.done) return { nums, error: r.value.error };
    for (const ev of r.value.events) nums.push(ev.num);
  }
}

const blocks = eventBlocks(plain);
const intact = replayAll(plain);

test('the intact capture, gzip or plain, reads to its end with no error', () => {
  assert.equal(blocks.length, 1536);
  assert.equal(intact.error, null);
  // sysdig -r prints 1431 as the last evt.num: the 105 procinfo events after it count but are not shown
  assert.equal(intact.nums.at(-1), 1431);
  assert.deepEqual(replayAll(readFileSync(SAMPLE)).nums, intact.nums);
});

test('a file cut inside an event block stops there with the block offset; the events before it count', () => {
  const cutBlock = 800;
  const at = blocks[cutBlock]!;
  const { nums, error } = replayAll(plain.subarray(0, at + 20));
  assert.ok(error instanceof ScapError);
  assert.equal(error.code, 'truncated');
  assert.equal(error.offset, at);
  assert.deepEqual(nums, intact.nums.filter((n) => n <= cutBlock));
});

test('a block whose trailer contradicts its length is corrupt at the trailer', () => {
  const damaged = Buffer.from(plain);
  const at = blocks[100]!;
  const len = damaged.readUInt32LE(at + 4);
  damaged.writeUInt32LE(len + 4, at + len - 4);
  const { nums, error } = replayAll(damaged);
  assert.equal(error?.code, 'corrupt');
  assert.equal(error?.offset, at + len - 4);
  assert.equal(error?.blockType, 0x204);
  assert.deepEqual(nums, intact.nums.filter((n) => n <= 100));
});

test('an event whose length does not fit its block is corrupt at the length field', () => {
  const damaged = Buffer.from(plain);
  const at = blocks[10]!;
  damaged.writeUInt32LE(60000, at + 8 + 2 + 16);
  const { error } = replayAll(damaged);
  assert.equal(error?.code, 'corrupt');
  assert.equal(error?.offset, at + 8 + 2 + 16);
  assert.match(error!.message, /event length 60000 does not fit its block/);
});

test('a gzip stream cut short yields what decompresses, then a truncation error at the decompressed offset', () => {
  const gz = readFileSync(SAMPLE);
  const { nums, error } = replayAll(gz.subarray(0, Math.floor(gz.length * 0.6)));
  assert.equal(error?.code, 'truncated');
  assert.ok(nums.length > 100 && nums.length < intact.nums.length, `${nums.length} events before the cut`);
  assert.deepEqual(nums, intact.nums.slice(0, nums.length));
  assert.ok(error!.offset > blocks[0]! && error!.offset < plain.length);
});

test('a cut inside the metadata blocks fails to open, naming the block offset', () => {
  const firstFdList = blocks[0]! - 100;
  assert.throws(() => openCapture(plain.subarray(0, firstFdList), 'cut.scap'), (e: unknown) => {
    assert.ok(e instanceof ScapError);
    assert.equal(e.code, 'truncated');
    assert.equal(e.file, 'cut.scap');
    assert.ok(e.offset < firstFdList && e.offset > 0);
    return true;
  });
});

test('a file that is not a capture is rejected at byte 0', () => {
  assert.throws(() => openCapture(Buffer.from('hello, this is not a scap file at all........')), (e: unknown) => {
    assert.ok(e instanceof ScapError);
    assert.equal(e.code, 'corrupt');
    assert.equal(e.offset, 0);
    return true;
  });
  assert.throws(() => openCapture(gzipSync(Buffer.from('still not a capture, but compressed'))), ScapError);
});

test('peregrine replay prints the events before a cut, then reports the offset and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scap-cut-'));
  try {
    const file = join(dir, 'cut.scap');
    writeFileSync(file, plain.subarray(0, blocks[300]! + 7));
    const r = spawnSync('npx', ['peregrine', 'replay', file, '-p', '%evt.num'], { cwd: join(import.meta.dirname, '../../..'), encoding: 'utf8' });
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n').map(Number);
    assert.deepEqual(lines, intact.nums.filter((n) => n <= 300));
    assert.match(r.stderr, new RegExp(`cut\\.scap: truncated at byte ${blocks[300]}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Every batch of a replay, and how it ended. */
function batchesOf(capture: Capture) {
  const out = [];
  const gen = replayBatches(capture, { batchSize: 100 });
  for (;;) {
    const r = gen.next();
    if (r.done) return { batches: out, error: r.value.error };
    out.push(r.value);
  }
}

test('a large plain file read through a small window gives the same batches as the whole file in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scap-window-'));
  try {
    const file = join(dir, 'plain.scap');
    writeFileSync(file, plain);
    // 1 KiB: smaller than the metadata (read again, larger) and than some event blocks (up to 2376 bytes here)
    const windowed = readCapture(file, 1024);
    assert.ok(windowed.window && windowed.data.length < plain.length);
    assert.deepStrictEqual(batchesOf(windowed), batchesOf(openCapture(plain, file)));
    const c = new EventCursor(windowed);
    const offsets: number[] = [];
    while (c.next()) offsets.push(c.blockOffset);
    assert.deepEqual(offsets, blocks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a windowed file cut inside an event block stops at that block\'s file offset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scap-window-'));
  try {
    const file = join(dir, 'cut.scap');
    writeFileSync(file, plain.subarray(0, blocks[1200]! + 20));
    const { batches, error } = batchesOf(readCapture(file, 1024));
    assert.equal(error?.code, 'truncated');
    assert.equal(error?.offset, blocks[1200]);
    assert.equal(error?.file, file);
    assert.deepEqual(batches.flatMap((b) => b.events.map((e) => e.num)), intact.nums.filter((n) => n <= 1200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
