import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePath } from '../src/paths.ts';

test('paths resolve against the directory and fold . and .. as libsinsp does', () => {
  assert.equal(resolvePath('/home/u/', 'a.txt'), '/home/u/a.txt');
  assert.equal(resolvePath('/home/u', 'a.txt'), '/home/u/a.txt');
  assert.equal(resolvePath('/home/u/', '../v/./b'), '/home/v/b');
  assert.equal(resolvePath('/home/u/', '/etc//passwd'), '/etc/passwd');
  assert.equal(resolvePath('/', '../../x'), '/x');
  assert.equal(resolvePath('/tmp/', 'dir/'), '/tmp/dir');
  assert.equal(resolvePath('/tmp/', ''), '/tmp/');
});
