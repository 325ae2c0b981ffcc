/**
 * libsinsp as the oracle for rendering: real captures, read by our scap reader and rendered by our compiled
 * formats, must print line for line what `sysdig -r FILE -p '*FORMAT'` prints (sysdig 0.29). Captures whose
 * differences come from the reader's fd/thread state or from syscalls sysdig 0.29 does not model are left out.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { readCapture, replayBatches } from '@peregrine/scap';
import { compileFormat } from '../../src/format/format.ts';
import { SCAP_DIR } from '../../../../tests/support/shared.ts';

const run = promisify(execFile);

// event, process, result and argument rendering
const EVENT_LINE = '%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.res %evt.rawres ' +
  '%fd.name %user.name %user.uid %proc.cmdline %evt.args';
// fd fields, including open events without an fd, and process ancestry
const FD_LINE = '%evt.num %evt.type %evt.dir %evt.res %evt.failed %fd.num %fd.typechar %fd.name %fd.directory ' +
  '%fd.filename %proc.pid %proc.ppid %proc.pname %proc.exe %proc.cwd';

const CASES: Array<[capture: string, format: string]> = [
  ['falco-connect_localhost', EVENT_LINE],
  ['falco-syscall', EVENT_LINE],
  ['falco-psp-write_tmp_test', EVENT_LINE],
  ['falco-syscall', FD_LINE],
  ['falco-open-multiple-files', FD_LINE],
  ['falco-psp-write_tmp_test', FD_LINE],
];

describe('formats render as sysdig (libsinsp) on real captures', () => {
  for (const [name, format] of CASES) {
    test(`${name}.scap: ${format === EVENT_LINE ? 'event line' : 'fd line'}`, async () => {
      const file = `${SCAP_DIR}/${name}.scap`;
      const compiled = compileFormat(format);
      const ours: string[] = [];
      for (const b of replayBatches(readCapture(file))) for (const e of b.events) ours.push(compiled.render(b, e));
      const { stdout } = await run('sysdig', ['-r', file, '-p', `*${format}`], { maxBuffer: 1 << 26 });
      const theirs = stdout.split('\n').filter(Boolean);
      assert.ok(theirs.length > 0);
      assert.deepEqual(ours, theirs);
    });
  }
});
