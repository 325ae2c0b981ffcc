/**
 * Reload on real files: a change on disk swaps the ruleset in whole; a broken file keeps the running one and says
 * why; SIGHUP reloads too.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES_CONFIG, RulesFileError, RulesLoadError, RulesReloader, loadRules, type Ruleset } from '../../src/index.ts';

const rule = (name: string, condition = 'evt.type = execve and proc.name = bash') =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o %proc.name\n  priority: warning\n`;

function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > until) return reject(new Error('timed out waiting'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * A ConfigMap volume as the kubelet's atomic writer lays it out: the files in a timestamped directory, `..data` a
 * symlink to it, each file a symlink through `..data`. An update writes a new timestamped directory, points
 * `..data_tmp` at it, renames that over `..data`, and removes the old directory.
 */
class ConfigMapVolume {
  private current = '';
  private version = 0;
  constructor(readonly dir: string) {}

  publish(files: Record<string, string>): void {
    const stamped = `..2026_11_28_11_00_00.${String(++this.version).padStart(9, '0')}`;
    mkdirSync(join(this.dir, stamped));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, stamped, name), content);
    if (this.current === '') {
      symlinkSync(stamped, join(this.dir, '..data'));
      for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(this.dir, name));
    } else {
      symlinkSync(stamped, join(this.dir, '..data_tmp'));
      renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
      rmSync(join(this.dir, this.current), { recursive: true });
    }
    this.current = stamped;
  }
}

describe('RulesReloader', () => {
  let dir = '';
  let file = '';
  let reloader: RulesReloader | null = null;
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger = {
    info: (msg: string, fields?: Record<string, unknown>) => logs.push({ level: 'info', msg, fields }),
    error: (msg: string, fields?: Record<string, unknown>) => logs.push({ level: 'error', msg, fields }),
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-rules-'));
    file = join(dir, 'local.yaml');
    writeFileSync(file, rule('First'));
    logs.length = 0;
  });
  afterEach(() => {
    reloader?.close();
    reloader = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the initial load fails loudly on a broken or missing file', async () => {
    writeFileSync(file, rule('Bad', 'evt.type = execve and ('));
    await assert.rejects(loadRules([file]), RulesLoadError);
    await assert.rejects(loadRules([join(dir, 'missing.yaml')]), RulesFileError);
  });

  it('reload() swaps in the new rules; a failed reload keeps the running ruleset and logs the error with its place', async () => {
    const reloaded: Ruleset[] = [];
    reloader = await RulesReloader.start({ files: [file], config: DEFAULT_RULES_CONFIG, logger, watchFiles: false, sighup: false, onReload: (r) => reloaded.push(r) });
    const first = reloader.current;
    assert.deepEqual(first.rules.map((r) => r.name), ['First']);

    writeFileSync(file, rule('Second'));
    assert.equal(await reloader.reload('test'), true);
    assert.deepEqual(reloader.current.rules.map((r) => r.name), ['Second']);
    assert.equal(reloaded.length, 1);

    const running = reloader.current;
    writeFileSync(file, rule('Broken', 'evt.type = execve and proc.nmae = x'));
    assert.equal(await reloader.reload('test'), false);
    assert.equal(reloader.current, running);
    const err = logs.find((l) => l.level === 'error')!;
    assert.equal(err.msg, 'rules reload failed; keeping the running rules');
    assert.match(String((err.fields!.errors as string[])[0]), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:36: error: `));
    assert.equal(reloaded.length, 1);
  });

  it('reloads when the file changes on disk, including save-by-rename', async () => {
    reloader = await RulesReloader.start({ files: [file], config: DEFAULT_RULES_CONFIG, logger, sighup: false, debounceMs: 50 });
    writeFileSync(file, rule('Written'));
    await waitFor(() => reloader!.current.rules[0]!.name === 'Written');
    const tmp = join(dir, '.local.yaml.swp');
    writeFileSync(tmp, rule('Renamed'));
    renameSync(tmp, file);
    await waitFor(() => reloader!.current.rules[0]!.name === 'Renamed');
  });

  it('a broken save on disk keeps the running rules', async () => {
    reloader = await RulesReloader.start({ files: [file], config: DEFAULT_RULES_CONFIG, logger, sighup: false, debounceMs: 50 });
    const running = reloader.current;
    writeFileSync(file, '- rule: [oops\n');
    await waitFor(() => logs.some((l) => l.level === 'error'));
    assert.equal(reloader.current, running);
  });

  it('a rules directory loads its yaml files in name order and reloads when one is added', async () => {
    const rulesDir = join(dir, 'rules.d');
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, '10-base.yaml'), rule('Base'));
    writeFileSync(join(rulesDir, 'notes.txt'), 'not rules');
    reloader = await RulesReloader.start({ files: [rulesDir], config: DEFAULT_RULES_CONFIG, logger, sighup: false, debounceMs: 50 });
    assert.deepEqual(reloader.current.rules.map((r) => r.name), ['Base']);
    writeFileSync(join(rulesDir, '20-local.yaml'), '- rule: Base\n  enabled: false\n  override:\n    enabled: replace\n' + rule('Local'));
    await waitFor(() => reloader!.current.rules.length === 2);
    assert.deepEqual(reloader.current.summaries().map((r) => [r.name, r.enabled]), [['Base', false], ['Local', true]]);
  });

  it('reloads on SIGHUP', async () => {
    reloader = await RulesReloader.start({ files: [file], config: DEFAULT_RULES_CONFIG, logger, watchFiles: false, debounceMs: 10 });
    writeFileSync(file, rule('AfterHup'));
    process.kill(process.pid, 'SIGHUP');
    await waitFor(() => reloader!.current.rules[0]!.name === 'AfterHup');
  });

  describe('a mounted ConfigMap (kubelet ..data swap)', () => {
    let volume: ConfigMapVolume;
    beforeEach(() => {
      mkdirSync(join(dir, 'rules'));
      volume = new ConfigMapVolume(join(dir, 'rules'));
      volume.publish({ 'rules.yaml': rule('Initial') });
    });

    it('a watched file reloads with the new text when ..data is swapped; a broken version keeps the running rules', async () => {
      const rulesFile = join(volume.dir, 'rules.yaml');
      assert.equal(readlinkSync(rulesFile), join('..data', 'rules.yaml'));
      reloader = await RulesReloader.start({ files: [rulesFile], config: DEFAULT_RULES_CONFIG, logger, sighup: false, debounceMs: 50 });
      assert.deepEqual(reloader.current.rules.map((r) => r.name), ['Initial']);

      volume.publish({ 'rules.yaml': rule('Updated', 'evt.type = execve and proc.name = zsh') });
      await waitFor(() => reloader!.current.rules[0]!.name === 'Updated');
      assert.equal(reloader.current.rules[0]!.condition, 'evt.type = execve and proc.name = zsh');
      assert.deepEqual(logs.find((l) => l.msg === 'rules reloaded')!.fields, { reason: `configmap updated: ${volume.dir}`, rules: 1 });

      const running = reloader.current;
      volume.publish({ 'rules.yaml': rule('Broken', 'evt.type = execve and (') });
      await waitFor(() => logs.some((l) => l.level === 'error'));
      assert.equal(reloader.current, running);
      assert.equal(reloader.current.rules[0]!.name, 'Updated');
    });

    it('a watched ConfigMap directory reloads on the swap too', async () => {
      reloader = await RulesReloader.start({ files: [volume.dir], config: DEFAULT_RULES_CONFIG, logger, sighup: false, debounceMs: 50 });
      assert.deepEqual(reloader.current.rules.map((r) => r.name), ['Initial']);
      volume.publish({ 'rules.yaml': rule('Initial') + rule('Added') });
      await waitFor(() => reloader!.current.rules.length === 2);
      assert.deepEqual(reloader.current.rules.map((r) => r.name), ['Initial', 'Added']);
    });
  });
});
