/** Loads a stage module's default export (a StageFactory) and checks what it returns. */
import { StageLoadError } from './errors.ts';
import { moduleSpecifier, type PipelineEntry } from './pipeline.ts';
import type { Stage, StageFactory } from './stage.ts';

export async function loadStage(entry: PipelineEntry, baseDir: string): Promise<Stage> {
  const spec = moduleSpecifier(entry.module, baseDir);
  let mod: { default?: unknown };
  try {
    mod = (await import(spec)) as { default?: unknown };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    throw new StageLoadError(entry.name, entry.module, missing ? `module not found (${(e as Error).message})` : `import failed: ${(e as Error).message}`, { cause: e });
  }
  if (typeof mod.default !== 'function') {
    throw new StageLoadError(entry.name, entry.module, 'has no default export StageFactory (export default () => ({ kind, name, … }))');
  }
  let stage: unknown;
  try {
    stage = (mod.default as StageFactory)();
  } catch (e) {
    throw new StageLoadError(entry.name, entry.module, `its StageFactory threw: ${(e as Error).message}`, { cause: e });
  }
  return checkStage(entry, stage);
}

function checkStage(entry: PipelineEntry, stage: unknown): Stage {
  const s = stage as Partial<Stage> | null;
  const fail = (why: string) => new StageLoadError(entry.name, entry.module, `its StageFactory returned ${why}`);
  if (typeof s !== 'object' || s === null) throw fail('no object');
  switch (s.kind) {
    case 'source':
      if (typeof (s as { run?: unknown }).run !== 'function') throw fail("a source without run()");
      break;
    case 'batch':
    case 'alert':
      if (typeof (s as { handle?: unknown }).handle !== 'function') throw fail(`a ${s.kind} stage without handle()`);
      break;
    default:
      throw fail(`kind '${String(s.kind)}', not 'source', 'batch' or 'alert'`);
  }
  return s as Stage;
}
