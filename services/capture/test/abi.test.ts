/**
 * The TypeScript decoder's offsets (src/abi.ts) against the compiled BPF object's BTF: the kernel writes records with
 * the layout clang gave the structs in native/capture_abi.h, so this fails whenever the two drift apart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LAYOUT } from '../src/abi.ts';
import { BPF_OBJECT_PATH } from '../src/driver.ts';

/** struct name → { field → byte offset, $size } from `bpftool btf dump` of the object. */
function btfStructs(): Map<string, Record<string, number>> {
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', BPF_OBJECT_PATH], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<string, Record<string, number>>();
  let current: Record<string, number> | null = null;
  for (const line of text.split('\n')) {
    const head = /^\[\d+\] STRUCT '([^']+)' size=(\d+)/.exec(line);
    if (head) {
      current = { $size: Number(head[2]) };
      out.set(head[1], current);
      continue;
    }
    const member = /^\s+'([^']+)' type_id=\d+ bits_offset=(\d+)/.exec(line);
    if (member && current) current[member[1]] = Number(member[2]) / 8;
    else if (!line.startsWith('\t')) current = null;
  }
  return out;
}

describe('record layout', { skip: existsSync(BPF_OBJECT_PATH) ? false : 'run `npm run build:native` first' }, () => {
  it('every decoder offset matches the compiled object', () => {
    const btf = btfStructs();
    for (const [struct, fields] of Object.entries(LAYOUT)) {
      const have = btf.get(struct);
      assert.ok(have, `struct ${struct} is missing from the object's BTF`);
      for (const [field, offset] of Object.entries(fields)) assert.equal(have[field], offset, `${struct}.${field}`);
      // and the object has no field the decoder does not know about
      const known = new Set([...Object.keys(fields), 'hdr']);
      for (const field of Object.keys(have)) assert.ok(known.has(field), `${struct}.${field} is not in src/abi.ts`);
    }
  });
});
