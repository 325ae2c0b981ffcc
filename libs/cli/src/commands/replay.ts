/**
 * `peregrine replay FILE.scap`: with `--filter COND` and/or `-p FORMAT`, print one line per matching event as
 * `sysdig -r FILE -p FORMAT COND` does (a line with an absent field is skipped unless FORMAT starts with '*');
 * otherwise run the capture through the pipeline (enrichment when configured, evaluation, output) like live capture.
 */
import { parseArgs } from 'node:util';
import { writeSync } from 'node:fs';
import { compileCondition, compileFormat, hostResolver, parseCondition, type CompiledFilter, type CompiledFormat } from '@peregrine/rules';
import type { EventBatch } from '@peregrine/event';
import { readCapture, replayBatches, ScapError } from '@peregrine/scap';

const USAGE = `usage: peregrine replay FILE.scap [--filter COND] [-p FORMAT]
       peregrine replay FILE.scap [--rules FILE…] [--config FILE] [--nats URL]
`;

/** sysdig's default line when only a filter is given. */
const DEFAULT_FORMAT = '*%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args';

export async function replay(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        filter: { type: 'string' },
        p: { type: 'string', short: 'p' },
        rules: { type: 'string', multiple: true },
        config: { type: 'string' },
        nats: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`peregrine replay: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`peregrine replay: expected one capture file\n${USAGE}`);
    return 2;
  }
  const file = positionals[0]!;
  if (values.filter !== undefined || values.p !== undefined) {
    return printEvents(file, values.filter ?? '', values.p ?? DEFAULT_FORMAT);
  }
  const { runReplayPipeline } = await import('./replay-pipeline.ts');
  return runReplayPipeline(file, { rules: values.rules ?? [], config: values.config, nats: values.nats });
}

export interface PrintPlan {
  filter: CompiledFilter | null;
  format: CompiledFormat;
  /** print lines with absent fields too (format starting with '*') */
  always: boolean;
}

/** Compiles `--filter` and `-p` as sysdig takes them. Throws the rules engine's positioned errors. */
export function printPlan(filter: string, format: string): PrintPlan {
  const always = format.startsWith('*');
  return {
    filter: filter.trim() === '' ? null : compileCondition(parseCondition(filter), { macros: new Map(), lists: new Map() }),
    format: compileFormat(always ? format.slice(1) : format),
    always,
  };
}

/** Lines for every matching event of a capture, in order; `error` is set when the file stopped early. */
export function printLines(file: string, plan: PrintPlan): Generator<string, ScapError | null> {
  return linesOf(replayBatches(readCapture(file), { eventTypes: plan.filter?.eventTypes ?? null }), plan);
}

/** Lines for the matching events of batches (a replay, or batches kept from one). */
export function* linesOf(batches: Iterator<EventBatch, { error: ScapError | null } | void>, plan: PrintPlan): Generator<string, ScapError | null> {
  const { filter, format, always } = plan;
  for (;;) {
    const r = batches.next();
    if (r.done) return r.value ? r.value.error : null;
    const batch = r.value;
    for (const ev of batch.events) {
      if (filter && !filter.match(batch, ev)) continue;
      if (!always && format.fields.some((f) => f.get(batch, ev) === null)) continue;
      yield format.render(batch, ev);
    }
  }
}

async function printEvents(file: string, filter: string, format: string): Promise<number> {
  let plan: PrintPlan;
  try {
    plan = printPlan(filter, format);
  } catch (e) {
    process.stderr.write(`peregrine replay: ${(e as Error).message}\n`);
    return 2;
  }
  // As libsinsp does, host names in the filter (fd.sip.name = …) are resolved before the first event is read.
  await hostResolver.settled();
  let out = '';
  try {
    const lines = printLines(file, plan);
    for (;;) {
      const r = lines.next();
      if (r.done) {
        flush(out);
        if (r.value) {
          process.stderr.write(`peregrine replay: ${r.value.message}\n`);
          return 1;
        }
        return 0;
      }
      out += `${r.value}\n`;
      if (out.length > 1 << 16) {
        flush(out);
        out = '';
      }
    }
  } catch (e) {
    flush(out);
    if (e instanceof ScapError) {
      process.stderr.write(`peregrine replay: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function flush(text: string): void {
  if (text) writeSync(1, text);
}
